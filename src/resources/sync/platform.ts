/**
 * The `platform` sync endpoint: the platform settings every site shares —
 * DNS servers, NTP servers and the trusted CA bundle (StarlingX's
 * `system dns-modify`, `system ntp-modify`, `certificate-install -m ssl_ca`).
 * Kept as one settings row on each system; the system controller's is the
 * desired content for its managed subclouds.
 */
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

const HOST_RE = /^[A-Za-z0-9.:_-]{1,253}$/;
const PEM_RE = /^(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/;

/** Checks a change (or a whole content sent by the system controller); errors name the field. */
export function validatePlatform(change: Partial<PlatformSettings>): void {
  for (const field of ['dns_servers', 'ntp_servers'] as const) {
    const list = change[field];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length > 3) throw new InputError(`${field}: at most 3 servers`, field);
    list.forEach((server, i) => {
      if (typeof server !== 'string' || !HOST_RE.test(server)) throw new InputError(`${field}[${i}]: not an address or host name: ${JSON.stringify(server)}`, field);
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
