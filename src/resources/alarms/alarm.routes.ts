/** /api/v1/alarms and /api/v1/alarm-definitions. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { isAlarmId, parseList } from '../../api/list-params.js';
import { ResponseCache } from '../../api/response-cache.js';
import { errorResponses, PageOf } from '../../api/schemas.js';
import { NotFoundError } from '../../core/errors.js';
import { randomSecret } from '../../core/ids.js';
import type { Schema } from '../../db/schema.js';
import { ADMINS, ANY_ROLE, OPERATORS } from '../users/roles.js';
import {
  AlarmIdField,
  AlarmListQuery,
  AlarmSchema,
  BatchBody,
  BatchResultSchema,
  ClearBody,
  DefinitionSchema,
  RaiseBody,
  SummarySchema,
  UuidParams,
} from './alarm.schemas.js';
import { getAlarm, listAlarms, summarizeAlarms } from './alarm.store.js';
import { toAlarmView } from './alarm.views.js';
import { SEVERITIES, type AlarmDefinition } from './catalogue.js';
import type { FaultService } from './fault.service.js';

export interface AlarmRouteDeps {
  db: Kysely<Schema>;
  fault: FaultService;
}

const isSeverity = (s: string) => (SEVERITIES as readonly string[]).includes(s);

const definitionView = (d: AlarmDefinition) => ({
  alarm_id: d.alarmId,
  kind: d.kind,
  description: d.description,
  entity_type_id: d.entityTypeId,
  entity_instance_id_format: d.entityInstanceIdFormat,
  severities: [...d.severities],
  alarm_type: d.alarmType,
  probable_cause: d.probableCause,
  proposed_repair_action: d.proposedRepairAction,
  maintenance_action: d.maintenanceAction,
  service_affecting: d.serviceAffecting,
  suppressible: d.suppressible,
  mgmt_affecting_severity: d.mgmtAffectingSeverity,
  degrade_affecting_severity: d.degradeAffectingSeverity,
});

export const alarmRoutes =
  ({ db, fault }: AlarmRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const cache = new ResponseCache();
    // Distinguishes this process's versions from a previous run's in ETags.
    const epoch = randomSecret(6);

    app.get(
      '/alarms',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['alarms'],
          summary: 'List active alarms, newest first (fm alarm-list)',
          querystring: AlarmListQuery,
          response: { 200: PageOf(AlarmSchema), ...errorResponses },
        },
      },
      async (request, typedReply) => {
        // Pages are sent pre-rendered (and cached), so the untyped reply.
        const reply = typedReply as FastifyReply;
        const etag = `W/"${epoch}-${fault.version}"`;
        if (request.headers['if-none-match'] === etag) return reply.status(304).send();
        reply.header('etag', etag);
        const version = fault.version;
        const cached = cache.get(version, request.url);
        if (cached) return reply.type('application/json').send(cached);
        const q = request.query;
        const filter = {
          alarmIds: parseList(q.alarm_id, 'alarm_id', isAlarmId, 'an alarm ID (GGG.NNN)'),
          severities: parseList(q.severity, 'severity', isSeverity, `one of ${SEVERITIES.join(', ')}`),
          entityPrefix: q.entity,
          mgmtAffecting: q.mgmt_affecting,
          degradeAffecting: q.degrade_affecting,
          includeSuppressed: q.include_suppressed,
        };
        const page = await listAlarms(db, filter, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
        const body = JSON.stringify({ items: page.rows.map((r) => toAlarmView(r, fault.catalogue)), next_cursor: page.nextCursor });
        cache.set(version, request.url, body);
        return reply.type('application/json').send(body);
      },
    );

    app.get(
      '/alarms/summary',
      {
        config: { roles: ANY_ROLE },
        schema: { tags: ['alarms'], summary: 'Active alarm counts by severity, plus suppressed (fm alarm-summary)', response: { 200: SummarySchema, ...errorResponses } },
      },
      async () => summarizeAlarms(db),
    );

    app.get(
      '/alarms/:uuid',
      {
        config: { roles: ANY_ROLE },
        schema: { tags: ['alarms'], summary: 'Show one alarm (fm alarm-show)', params: UuidParams, response: { 200: AlarmSchema, ...errorResponses } },
      },
      async (request) => {
        const row = await getAlarm(db, request.params.uuid);
        if (!row) throw new NotFoundError(`alarm ${request.params.uuid} not found`, 'uuid');
        return toAlarmView(row, fault.catalogue);
      },
    );

    app.delete(
      '/alarms/:uuid',
      {
        config: { roles: ADMINS },
        schema: { tags: ['alarms'], summary: 'Delete a stale alarm (fm alarm-delete); logs a clear event', params: UuidParams, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        await fault.deleteAlarm(request.params.uuid);
        return (reply as FastifyReply).status(204).send();
      },
    );

    app.post(
      '/alarms',
      {
        config: { roles: OPERATORS },
        schema: {
          tags: ['alarms'],
          summary: 'Raise an alarm, or update it in place if already active',
          description: '201 when new, 200 when it already existed (updated, or unchanged when identical).',
          body: RaiseBody,
          response: { 200: AlarmSchema, 201: AlarmSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { alarm, outcome } = await fault.raise(request.body);
        request.auditTarget = `${alarm.alarm_id}:${alarm.entity_instance_id}`.slice(0, 255);
        return reply.status(outcome === 'created' ? 201 : 200).send(alarm);
      },
    );

    app.post(
      '/alarms/clear',
      {
        config: { roles: OPERATORS },
        schema: { tags: ['alarms'], summary: 'Clear an active alarm; logs a clear event', body: ClearBody, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        request.auditTarget = `${request.body.alarm_id}:${request.body.entity_instance_id}`.slice(0, 255);
        await fault.clear(request.body);
        return (reply as FastifyReply).status(204).send();
      },
    );

    app.post(
      '/alarms/batch',
      {
        config: { roles: OPERATORS },
        schema: {
          tags: ['alarms'],
          summary: 'Raise, clear and log many at once, atomically',
          description: 'All entries are validated first; an error names the entry (raise[3].severity) and nothing is written. Clears apply before raises; a key may not be in both. Clearing an alarm that is not active counts as not_active, not an error.',
          body: BatchBody,
          response: { 200: BatchResultSchema, ...errorResponses },
        },
      },
      async (request) => fault.batch(request.body),
    );

    app.get(
      '/alarm-definitions',
      {
        config: { roles: ANY_ROLE },
        schema: { tags: ['alarms'], summary: 'The alarm catalogue', response: { 200: Type.Object({ items: Type.Array(DefinitionSchema) }) } },
      },
      async () => ({ items: fault.catalogue.all().map(definitionView) }),
    );

    app.get(
      '/alarm-definitions/:alarm_id',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['alarms'],
          summary: 'One alarm definition',
          params: Type.Object({ alarm_id: AlarmIdField }, { additionalProperties: false }),
          response: { 200: DefinitionSchema, ...errorResponses },
        },
      },
      async (request) => {
        const def = fault.catalogue.get(request.params.alarm_id);
        if (!def) throw new NotFoundError(`alarm ID ${request.params.alarm_id} is not in the catalogue`, 'alarm_id');
        return definitionView(def);
      },
    );
  };
