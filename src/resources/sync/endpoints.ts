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

const platform: SyncEndpoint<PlatformSettings> = {
  type: 'platform',
  desired: readPlatform,
  held: readPlatform,
  hash: platformHash,
  valid: validPlatformContent,
  apply: async (db, content) => {
    await writePlatform(db, content);
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
