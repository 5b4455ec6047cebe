/**
 * The controller's settings as a backup keeps them: for the operator who
 * rebuilds the machine, so the restored controller can be started with the
 * same flags. Secrets in them travel sealed with the rest; the database
 * URL's password is never kept (a restore is told where to go).
 */
import { redactUrl } from '../../db/database.js';
import type { ServerConfig } from '../../core/server-config.js';

/** Settings that are secrets: sealed, or left out without a passphrase. */
const SECRET_KEYS = new Set(['metricsToken']);
/** Settings that are not kept at all: one-time, or meaningless on another machine. */
const NOT_KEPT = new Set(['adminPassword', 'enrollToken']);

export function backupConfig(config: Partial<ServerConfig>): { config: Record<string, unknown>; configSecrets: Record<string, string> } {
  const kept: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || NOT_KEPT.has(key)) continue;
    if (SECRET_KEYS.has(key)) secrets[key] = String(value);
    else kept[key] = key === 'databaseUrl' ? redactUrl(String(value)) : value;
  }
  return { config: kept, configSecrets: secrets };
}
