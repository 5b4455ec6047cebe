/**
 * The stored login: `<config dir>/cli.json`, mode 0600 in a 0700 folder,
 * holding the controller URL and a session token. STARLING_URL and
 * STARLING_TOKEN override it.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliEnvironment } from '../core/config.js';
import { CliError } from './errors.js';
import { readCaFile } from './trust.js';

export interface StoredLogin {
  url: string;
  token: string;
  username: string;
  expires_at: string;
  /** The CA trusted for this controller at login (PEM), for an https:// URL. */
  ca?: string;
}

const fileOf = (env: CliEnvironment) => join(env.configDir, 'cli.json');

export function readStoredLogin(env: CliEnvironment): StoredLogin | undefined {
  try {
    return JSON.parse(readFileSync(fileOf(env), 'utf8')) as StoredLogin;
  } catch {
    return undefined;
  }
}

export function writeStoredLogin(env: CliEnvironment, login: StoredLogin): string {
  mkdirSync(env.configDir, { recursive: true, mode: 0o700 });
  const file = fileOf(env);
  writeFileSync(file, JSON.stringify(login, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600); // the mode option does not apply to a file that already existed
  return file;
}

export function removeStoredLogin(env: CliEnvironment): boolean {
  try {
    rmSync(fileOf(env));
    return true;
  } catch {
    return false;
  }
}

/** The URL, token and CA to use, environment first; the stored CA only for the stored URL. */
export function resolveTarget(env: CliEnvironment): { url: string; token: string | undefined; ca: string | undefined } {
  const stored = readStoredLogin(env);
  const url = env.url ?? stored?.url;
  if (!url) throw new CliError('not logged in: run "starling login --url URL --username U" or set STARLING_URL and STARLING_TOKEN');
  const ca = env.caFile ? readCaFile(env.caFile) : stored && stored.url === url.replace(/\/+$/, '') ? stored.ca : undefined;
  return { url, token: env.token ?? stored?.token, ca };
}
