/** /api/v1/backup-schedules: when platform backups are made, how long they live, how many are kept (after Velero). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { errorResponses, NullableString, StringEnum, Text } from '../../api/schemas.js';
import { ADMINS, ANY_ROLE } from '../users/roles.js';
import type { BackupScheduleService } from './backup-schedule.service.js';

const SCHEDULE_NAME = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

export const BackupScheduleSchema = Type.Object({
  name: Type.String(),
  cron: Type.String({ description: 'Five fields, in UTC' }),
  keep: Type.Union([Type.Integer(), Type.Null()], { description: "How many of this schedule's complete backups are kept; older ones are pruned" }),
  ttl: NullableString({ description: 'Lifetime of each backup it makes (30d, 12h…)' }),
  out_dir: NullableString(),
  secrets: StringEnum(['sealed', 'omitted'] as const, { description: 'sealed: its backups carry the secrets, encrypted with the passphrase it was given' }),
  paused: Type.Boolean(),
  next_run_at: NullableString({ format: 'date-time' }),
  last_run_at: NullableString({ format: 'date-time' }),
  last_backup: NullableString(),
  last_error: NullableString({ description: 'Why its last run made no backup' }),
  created_by: NullableString(),
  created_at: Type.String({ format: 'date-time' }),
});

const ScheduleRef = Type.Object({ schedule: Type.String({ pattern: SCHEDULE_NAME }) });

const CreateScheduleBody = Type.Object(
  {
    name: Type.String({ pattern: SCHEDULE_NAME, description: 'Lower-case letters, digits and dashes; its backups are named <name>-<YYYYMMDDHHMMSS>' }),
    cron: Text({ minLength: 1, maxLength: 120, description: 'minute hour day-of-month month day-of-week, in UTC ("0 3 * * *": daily at 03:00)' }),
    keep: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Keep this many of its complete backups (default: no count limit)' })),
    ttl: Type.Optional(Type.String({ maxLength: 32, description: 'Delete each of its backups this long after it was made: 30d, 12h, 90m (default: never)' })),
    out_dir: Type.Optional(Text({ maxLength: 4096, description: 'Absolute folder on the controller (default <data-dir>/backups)' })),
    passphrase: Type.Optional(Type.String({ minLength: 8, maxLength: 1024, description: 'Seals the secrets into its backups; kept as a secret setting, never shown' })),
  },
  { additionalProperties: false },
);

export const backupScheduleRoutes =
  ({ schedules }: { schedules: BackupScheduleService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['backups'];
    app.get('/backup-schedules', { config: { roles: ANY_ROLE }, schema: { tags, summary: 'List backup schedules', response: { 200: Type.Object({ items: Type.Array(BackupScheduleSchema) }) } } }, async () => ({
      items: await schedules.list(),
    }));
    app.get(
      '/backup-schedules/:schedule',
      { config: { roles: ANY_ROLE }, schema: { tags, summary: 'Show a backup schedule', params: ScheduleRef, response: { 200: BackupScheduleSchema, ...errorResponses } } },
      async (request) => schedules.get(request.params.schedule),
    );
    app.post(
      '/backup-schedules',
      {
        config: { roles: ADMINS },
        schema: {
          tags,
          summary: 'Create a backup schedule',
          description: 'A due schedule starts a platform backup; if one is already running it tries again a minute later. Expired backups, and those beyond keep, are deleted by the same loop.',
          body: CreateScheduleBody,
          response: { 201: BackupScheduleSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        request.auditTarget = request.body.name;
        return reply.status(201).send(await schedules.create(request.body, request.principal?.name ?? null));
      },
    );
    for (const action of ['pause', 'resume'] as const) {
      app.post(
        `/backup-schedules/:schedule/${action}`,
        {
          config: { roles: ADMINS },
          schema: { tags, summary: action === 'pause' ? 'Pause a schedule (it makes no backups until resumed)' : 'Resume a paused schedule', params: ScheduleRef, response: { 200: BackupScheduleSchema, ...errorResponses } },
        },
        async (request) => {
          request.auditTarget = request.params.schedule;
          return schedules.setPaused(request.params.schedule, action === 'pause');
        },
      );
    }
    app.delete(
      '/backup-schedules/:schedule',
      { config: { roles: ADMINS }, schema: { tags, summary: 'Delete a backup schedule (its backups stay until they expire or are deleted)', params: ScheduleRef, response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        request.auditTarget = request.params.schedule;
        await schedules.delete(request.params.schedule);
        return (reply as FastifyReply).status(204).send();
      },
    );
  };
