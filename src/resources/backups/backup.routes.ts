/** /api/v1/backups: platform backups (StarlingX backup.yml), their archives for download. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { sendFileRange } from '../../api/byte-range.js';
import { parseDurationText } from '../../core/duration-text.js';
import { InputError } from '../../core/errors.js';
import { errorResponses, NullableString, StringEnum, Text } from '../../api/schemas.js';
import { ADMINS, ANY_ROLE } from '../users/roles.js';
import type { BackupService } from './backup.service.js';


export const BackupSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  state: StringEnum(['in-progress', 'complete', 'failed'] as const),
  path: Type.String({ description: "The archive on the controller's disk" }),
  size: Type.Union([Type.Integer(), Type.Null()], { description: 'Bytes, once complete' }),
  sha256: NullableString(),
  secrets: StringEnum(['sealed', 'omitted'] as const, { description: 'sealed: keys and credentials are in it, encrypted with the passphrase; omitted: made without one' }),
  schedule: NullableString(),
  error: NullableString(),
  created_by: NullableString(),
  created_at: Type.String({ format: 'date-time' }),
  completed_at: NullableString({ format: 'date-time' }),
  expires_at: NullableString({ format: 'date-time', description: 'When the pruning loop deletes it (from --ttl or its schedule); null: kept until deleted' }),
});

const BackupRef = Type.Object({ backup: Type.String({ minLength: 1, maxLength: 255, description: 'Backup id or name' }) });

const CreateBackupBody = Type.Object(
  {
    out_dir: Type.Optional(Text({ maxLength: 4096, description: "Absolute folder on the controller for the archive (default <data-dir>/backups)" })),
    passphrase: Type.Optional(
      Type.String({ minLength: 8, maxLength: 1024, description: 'Encrypts the secrets in the backup (AES-256-GCM, key from scrypt). Without it they are left out, and the backup cannot make the same system again.' }),
    ),
    ttl: Type.Optional(Type.String({ maxLength: 32, description: 'How long the backup is kept before the pruning loop deletes it: 30d, 12h, 90m (default: until deleted)' })),
  },
  { additionalProperties: false },
);

export const backupRoutes =
  ({ backups }: { backups: BackupService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/backups', { config: { roles: ANY_ROLE }, schema: { tags: ['backups'], summary: 'List platform backups', response: { 200: Type.Object({ items: Type.Array(BackupSchema) }) } } }, async () => ({
      items: await backups.list(),
    }));
    app.get(
      '/backups/:backup',
      { config: { roles: ANY_ROLE }, schema: { tags: ['backups'], summary: 'Show a platform backup', params: BackupRef, response: { 200: BackupSchema, ...errorResponses } } },
      async (request) => backups.get(request.params.backup),
    );
    app.post(
      '/backups',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['backups'],
          summary: 'Start a platform backup',
          description:
            'Starts a backup of the database (a consistent snapshot), the release blobs, the CAs and keys, the trusted release keys and the settings, and returns at once with state in-progress; 210.001 stands until it ends. One backup runs at a time (409 while one is in progress).',
          body: CreateBackupBody,
          response: { 202: BackupSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { ttl, ...rest } = request.body;
        const ttl_ms = ttl === undefined ? undefined : parseDurationText(ttl);
        if (ttl !== undefined && ttl_ms === undefined) throw new InputError(`ttl: "${ttl}" is not a duration such as 30d, 12h or 90m`, 'ttl');
        const backup = await backups.create({ ...rest, ...(ttl_ms ? { ttl_ms } : {}) }, request.principal?.name ?? null);
        request.auditTarget = backup.name;
        return reply.status(202).send(backup);
      },
    );
    app.delete(
      '/backups/:backup',
      { config: { roles: ADMINS }, schema: { tags: ['backups'], summary: 'Delete a platform backup and its archive', params: BackupRef, response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        request.auditTarget = request.params.backup;
        await backups.delete(request.params.backup);
        return (reply as FastifyReply).status(204).send();
      },
    );
    app.post(
      '/system/restore-complete',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['backups'],
          summary: 'Say a restored system is back (StarlingX system restore-complete)',
          description: 'Clears 210.002, which a restore writes into the restored database. 409 when no restore is in progress.',
          response: { 200: Type.Object({ cleared: Type.Array(Type.String(), { description: 'Entities whose 210.002 cleared' }) }), ...errorResponses },
        },
      },
      async () => backups.restoreComplete(),
    );
    app.get(
      '/backups/:backup/archive',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['backups'],
          summary: "Download a complete backup's archive",
          description: 'Supports HTTP Range (one range), so a download over a bad link resumes from the byte it reached. Admins only: the archive holds every row of the database.',
          params: BackupRef,
        },
      },
      async (request, reply) => {
        const archive = await backups.archive(request.params.backup);
        reply.header('content-disposition', `attachment; filename="${archive.name}"`);
        return sendFileRange(reply, archive.path, archive.size, request.headers.range, 'application/x-tar');
      },
    );
  };
