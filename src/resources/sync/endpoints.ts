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
import { deployedReleases, softwareHash, validSoftware, type SoftwareContent } from './software.js';

export interface SyncEndpoint<C> {
  type: EndpointType;
  desired(db: Kysely<Schema>): Promise<C>;
  held(db: Kysely<Schema>): Promise<C>;
  hash(content: C): string;
  valid(content: unknown): content is C;
  /**
   * Applies content on a subcloud; returns ids of users whose sessions must
   * be re-checked. Absent for an endpoint that only reports (software): its
   * content is never sent down.
   */
  apply?(db: Kysely<Schema>, content: C, now: number): Promise<string[]>;
  /** An out-of-sync endpoint raises 280.002 after the grace (not software: see software.ts). */
  alarmed: boolean;
}

const identity: SyncEndpoint<IdentityContent> = {
  type: 'identity',
  desired: identityContent,
  held: heldIdentity,
  hash: identityHash,
  valid: validIdentity,
  apply: applyIdentity,
  alarmed: true,
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
  alarmed: true,
};

const software: SyncEndpoint<SoftwareContent> = {
  type: 'software',
  desired: deployedReleases,
  held: deployedReleases,
  hash: softwareHash,
  valid: validSoftware,
  alarmed: false,
};

export const SYNC_ENDPOINTS: ReadonlyArray<SyncEndpoint<unknown>> = [identity, platform, software] as ReadonlyArray<SyncEndpoint<unknown>>;

/** Whether an endpoint's content is pushed to managed subclouds (not software's). */
export const pushed = (type: string): boolean => SYNC_ENDPOINTS.find((e) => e.type === type)?.apply !== undefined;

/** Endpoints that raise 280.002 when a managed subcloud stays out of sync. */
export const ALARMED_ENDPOINTS: readonly string[] = SYNC_ENDPOINTS.filter((e) => e.alarmed).map((e) => e.type);
