/**
 * /api/v1/software: releases (USM's /v1/release) and the release signing
 * keys this system trusts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Readable } from 'node:stream';
import { sendFileRange } from '../../api/byte-range.js';
import type { TransferGate } from '../../api/transfer-gate.js';
import { errorResponses, StringEnum, Text } from '../../api/schemas.js';
import type { Clock } from '../../core/clock.js';
import { UnsupportedMediaTypeError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import { ADMINS, ANY_ROLE, type CallerRole } from '../users/roles.js';
import type { ReleaseService } from './release.service.js';
import { RELEASE_STATES } from './release-states.js';
import { addTrustedKey, listTrustedKeys, removeTrustedKey } from './trust.store.js';

const ReleaseSchema = Type.Object(
  {
    release_id: Type.String(),
    version: Type.String(),
    kind: StringEnum(['patch', 'major'] as const),
    state: StringEnum(RELEASE_STATES),
    summary: Type.String(),
    requires: Type.Array(Type.String()),
    reboot_required: Type.Boolean(),
    unremovable: Type.Boolean(),
    key_id: Type.String({ description: 'The trusted key that signed it' }),
    size_bytes: Type.Integer(),
    uploaded_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Release' },
);
const ReleaseDetailSchema = Type.Intersect(
  [
    ReleaseSchema,
    Type.Object({
      description: Type.String(),
      health_check: Type.Union([Type.String(), Type.Null()], { description: 'Content path run after a host switches; failure rolls the host back' }),
      files: Type.Array(Type.Object({ path: Type.String(), sha256: Type.String(), size: Type.Integer(), executable: Type.Boolean() })),
    }),
  ],
  { title: 'ReleaseDetail' },
);
const KeySchema = Type.Object(
  { key_id: Type.String(), name: Type.String(), public_key: Type.String(), added_at: Type.String({ format: 'date-time' }) },
  { title: 'TrustedKey' },
);
const ReleaseRef = Type.Object({ release_id: Type.String({ maxLength: 64 }) });

/** Blobs are read by people, by agents deploying on this site's hosts and by subclouds prestaging from their system controller. */
const BLOB_READERS: readonly CallerRole[] = [...ANY_ROLE, 'agent', 'subcloud'];

export const releaseRoutes =
  ({ db, clock, releases, changed, subcloudTransfers }: { db: Kysely<Schema>; clock: Clock; releases: ReleaseService; changed: () => Promise<unknown>; subcloudTransfers: TransferGate }): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Bundles stream through unparsed: checked as they arrive, never held whole in memory.
    app.addContentTypeParser(['application/octet-stream', 'application/x-tar'], (_req, payload, done) => done(null, payload));

    app.get(
      '/software/releases',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['software'],
          summary: 'List releases (software list)',
          querystring: Type.Object({ state: Type.Optional(StringEnum(RELEASE_STATES)) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(ReleaseSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await releases.list(request.query.state ? { state: request.query.state } : {}) }),
    );
    app.post(
      '/software/releases',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['software'],
          summary: 'Upload a signed release bundle (software upload)',
          description:
            'The body is the bundle made by `starling release build` (application/octet-stream). Its ed25519 signature must come from a trusted key and every blob must match its signed digest; otherwise the upload is refused with the reason and nothing is kept.',
          response: { 201: ReleaseDetailSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const body = request.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function') throw new UnsupportedMediaTypeError('send the bundle as application/octet-stream');
        const release = await releases.upload(body);
        request.auditTarget = release.release_id;
        return reply.code(201).send(release);
      },
    );
    app.get(
      '/software/releases/:release_id',
      { config: { roles: ANY_ROLE }, schema: { tags: ['software'], summary: 'Show a release with its files (software show)', params: ReleaseRef, response: { 200: ReleaseDetailSchema, ...errorResponses } } },
      async (request) => releases.show(request.params.release_id),
    );
    app.delete(
      '/software/releases/:release_id',
      {
        config: { roles: ADMINS },
        schema: { tags: ['software'], summary: 'Delete an available, unavailable or upload-failed release (software delete)', params: ReleaseRef, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        await releases.delete(request.params.release_id);
        return reply.code(204).send(null);
      },
    );
    app.post(
      '/software/releases/:release_id/commit',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['software'],
          summary: 'Commit a deployed patch and the deployed releases it requires (software commit-patch): committed releases can no longer be removed',
          params: ReleaseRef,
          response: { 200: Type.Object({ items: Type.Array(ReleaseSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ items: await releases.commit(request.params.release_id) }),
    );
    app.get(
      '/software/releases/:release_id/signed',
      {
        config: { roles: BLOB_READERS },
        schema: {
          tags: ['software'],
          summary: "A release's signed metadata: release.json's exact text and its signature",
          description: 'What a subcloud fetches before the blobs: it checks the signature against the keys it trusts, then fetches each blob by digest.',
          params: ReleaseRef,
          response: { 200: Type.Object({ metadata: Type.String(), signature: Type.Object({ key_id: Type.String(), signature: Type.String() }) }), ...errorResponses },
        },
      },
      async (request) => releases.signed(request.params.release_id),
    );
    app.get(
      '/software/releases/:release_id/blobs/:sha256',
      {
        config: { roles: BLOB_READERS },
        schema: {
          tags: ['software'],
          summary: 'Download one content blob of a release',
          description: 'Supports HTTP Range (one range), so an interrupted transfer resumes from the byte it reached. Subclouds fetch at most 250 at a time (StarlingX prestage); the rest wait their turn.',
          params: Type.Object({ release_id: Type.String({ maxLength: 64 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
        },
      },
      async (request, reply) => {
        const blob = await releases.blob(request.params.release_id, request.params.sha256);
        if (request.principal?.role === 'subcloud') {
          // Prestage: at most PRESTAGE_MAX_PARALLEL subclouds fetch at once, the rest wait their turn.
          const release = await subcloudTransfers.acquire(request.raw);
          reply.raw.once('close', release);
        }
        return sendFileRange(reply, blob.path, blob.size, request.headers.range);
      },
    );

    app.get(
      '/software/trust',
      { config: { roles: ANY_ROLE }, schema: { tags: ['software'], summary: 'List the release signing keys this system trusts', response: { 200: Type.Object({ items: Type.Array(KeySchema) }), ...errorResponses } } },
      async () => ({ items: await listTrustedKeys(db) }),
    );
    app.post(
      '/software/trust',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['software'],
          summary: 'Trust a release signing key (ed25519 public key, PEM)',
          description: 'On a system controller the keys are synced to every managed subcloud (endpoint `platform`).',
          body: Type.Object({ public_key: Type.String({ maxLength: 4096 }), name: Type.Optional(Text({ maxLength: 64 })) }, { additionalProperties: false }),
          response: { 201: KeySchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const key = await addTrustedKey(db, request.body.public_key, request.body.name, clock.now());
        request.auditTarget = key.key_id;
        await changed();
        return reply.code(201).send(key);
      },
    );
    app.delete(
      '/software/trust/:key_id',
      {
        config: { roles: ADMINS },
        schema: { tags: ['software'], summary: 'Stop trusting a release signing key', params: Type.Object({ key_id: Type.String({ pattern: '^[0-9a-f]{16}$' }) }), response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        await removeTrustedKey(db, request.params.key_id);
        await changed();
        return reply.code(204).send(null);
      },
    );
  };
