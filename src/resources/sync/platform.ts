/**
 * The `platform` sync endpoint: the platform settings every site shares —
 * DNS servers, NTP servers and the trusted CA bundle (StarlingX's
 * `system dns-modify`, `system ntp-modify`, `certificate-install -m ssl_ca`).
 * Kept as one settings row on each system; the system controller's is the
 * desired content for its managed subclouds.
 */
import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import { contentToken } from '../../core/canonical.js';
import { InputError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';

export interface PlatformSettings {
  dns_servers: string[];
  ntp_servers: string[];
  /** PEM certificates the platform trusts, concatenated; '' for none. */
  ca_bundle: string;
}

const KEY = 'platform';
export const EMPTY_PLATFORM: PlatformSettings = { dns_servers: [], ntp_servers: [], ca_bundle: '' };

export async function readPlatform(db: Kysely<Schema>): Promise<PlatformSettings> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
  return row ? { ...EMPTY_PLATFORM, ...(JSON.parse(row.value) as Partial<PlatformSettings>) } : { ...EMPTY_PLATFORM };
}

export async function writePlatform(db: Kysely<Schema>, settings: PlatformSettings): Promise<void> {
  const value = JSON.stringify(settings);
  await db
    .insertInto('settings')
    .values({ key: KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export const platformHash = (settings: PlatformSettings): string => contentToken(settings);

const PEM_RE = /^(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/;

/** StarlingX's limit for both lists (`system dns-modify`, `system ntp-modify`). */
export const MAX_PLATFORM_SERVERS = 3;

/** RFC 1123: labels of letters, digits and hyphens, 1-63 characters, not starting or ending with a hyphen; 253 in all. */
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isHostName(name: string): boolean {
  const labels = name.split('.');
  // An all-numeric last label is a mistyped address ("10.0.0"), not a name: no top-level domain is numeric (RFC 3696 §2).
  return name.length <= 253 && labels.every((l) => LABEL_RE.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/** One spelling per server, for finding repeats: names and IPv6 are case-insensitive, and IPv6 has many spellings (`::1`, `0:0::1`). */
function canonical(server: string): string {
  if (isIP(server) === 6 && !server.includes('%')) {
    try {
      return new URL(`http://[${server}]/`).hostname;
    } catch {
      // URL refuses a spelling isIP accepts: compare it as written.
    }
  }
  return server.toLowerCase();
}

const SERVER_RULES = {
  dns_servers: { accepts: (s: string) => isIP(s) !== 0, is: 'an IP address' },
  ntp_servers: { accepts: (s: string) => isIP(s) !== 0 || isHostName(s), is: 'an IP address or a host name' },
} as const;

/** Checks a change (or a whole content sent by the system controller); errors name the field, with the index (`dns_servers[1]`). */
export function validatePlatform(change: Partial<PlatformSettings>): void {
  for (const field of ['dns_servers', 'ntp_servers'] as const) {
    const list = change[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new InputError(`${field}: must be a list of servers`, field);
    if (list.length > MAX_PLATFORM_SERVERS) throw new InputError(`${field}: at most ${MAX_PLATFORM_SERVERS} servers, not ${list.length}`, field);
    const seen = new Map<string, number>();
    list.forEach((server: unknown, i) => {
      const at = `${field}[${i}]`;
      if (typeof server !== 'string') throw new InputError(`${at}: must be a string`, at);
      if (!SERVER_RULES[field].accepts(server)) throw new InputError(`${at}: ${JSON.stringify(server)} is not ${SERVER_RULES[field].is}`, at);
      const key = canonical(server);
      const first = seen.get(key);
      if (first !== undefined) throw new InputError(`${at}: ${JSON.stringify(server)} is already listed as ${field}[${first}]`, at);
      seen.set(key, i);
    });
  }
  if (change.ca_bundle !== undefined && change.ca_bundle !== '' && !PEM_RE.test(change.ca_bundle)) {
    throw new InputError('ca_bundle: must be PEM certificates (-----BEGIN CERTIFICATE----- ...), or empty to remove', 'ca_bundle');
  }
}

export function validPlatformContent(content: unknown): content is PlatformSettings {
  try {
    const c = content as PlatformSettings;
    if (!Array.isArray(c.dns_servers) || !Array.isArray(c.ntp_servers) || typeof c.ca_bundle !== 'string') return false;
    validatePlatform(c);
    return true;
  } catch {
    return false;
  }
}
