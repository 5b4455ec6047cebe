/**
 * The sync endpoints, each the same shape on both levels: the system
 * controller reads its `desired` content; a subcloud reads what it `held`s,
 * hashes it with the same function (so equal content means in-sync) and
 * `apply`s content it receives.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import type { EndpointType } from '../subclouds/subcloud.types.js';
import { applyIdentity, heldIdentity, identityContent, identityHash, validIdentity, type IdentityContent } from './identity.js';
import { platformHash, readPlatform, validPlatformContent, writePlatform, type PlatformSettings } from './platform.js';
import { replaceTrustedKeys, syncedKeys } from '../software/trust.store.js';
import type { TrustedKey } from '../software/release-signature.js';
import { readSoftware, softwareHash, validSoftware, writeSoftware, type SoftwareContent } from './software.js';

export interface SyncEndpoint<C> {
  type: EndpointType;
  desired(db: Kysely<Schema>): Promise<C>;
  held(db: Kysely<Schema>): Promise<C>;
  hash(content: C): string;
  valid(content: unknown): content is C;
  /** Applies content on a subcloud; returns ids of users whose sessions must be re-checked. */
  apply(db: Kysely<Schema>, content: C, now: number): Promise<string[]>;
}

const identity: SyncEndpoint<IdentityContent> = {
  type: 'identity',
  desired: identityContent,
  held: heldIdentity,
  hash: identityHash,
  valid: validIdentity,
  apply: applyIdentity,
};

/** Platform settings plus the release signing keys the site trusts. */
type PlatformContent = PlatformSettings & { release_keys: TrustedKey[] };
const platformContent = async (db: Kysely<Schema>): Promise<PlatformContent> => ({ ...(await readPlatform(db)), release_keys: await syncedKeys(db) });

const platform: SyncEndpoint<PlatformContent> = {
  type: 'platform',
  desired: platformContent,
  held: platformContent,
  hash: platformHash,
  valid: (c): c is PlatformContent =>
    validPlatformContent(c) && Array.isArray((c as PlatformContent).release_keys) && (c as PlatformContent).release_keys.every((k) => typeof k?.key_id === 'string' && typeof k?.public_key === 'string'),
  apply: async (db, content, now) => {
    const { release_keys, dns_servers, ntp_servers, ca_bundle } = content;
    await writePlatform(db, { dns_servers, ntp_servers, ca_bundle });
    await replaceTrustedKeys(db, release_keys, now);
    return [];
  },
};

const software: SyncEndpoint<SoftwareContent> = {
  type: 'software',
  desired: readSoftware,
  held: readSoftware,
  hash: softwareHash,
  valid: validSoftware,
  apply: async (db, content) => {
    await writeSoftware(db, content);
    return [];
  },
};

export const SYNC_ENDPOINTS: ReadonlyArray<SyncEndpoint<unknown>> = [identity, platform, software] as ReadonlyArray<SyncEndpoint<unknown>>;
