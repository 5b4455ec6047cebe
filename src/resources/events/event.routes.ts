/** /api/v1/events: the event log (fm event-list / event-show). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { isAlarmId, parseList } from '../../api/list-params.js';
import { errorResponses, PageOf } from '../../api/schemas.js';
import { NotFoundError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import { EventListQuery, EventSchema, LogBody, UuidParams } from '../alarms/alarm.schemas.js';
import { toEventView } from '../alarms/alarm.views.js';
import { SEVERITIES } from '../alarms/catalogue.js';
import type { FaultService } from '../alarms/fault.service.js';
import { ANY_ROLE, OPERATORS } from '../users/roles.js';
import { getEvent, listEvents } from './event.store.js';

const EVENT_SEVERITIES = [...SEVERITIES, 'clear'];

export const eventRoutes =
  ({ db, fault }: { db: Kysely<Schema>; fault: FaultService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/events',
      {
        config: { roles: ANY_ROLE },
        schema: { tags: ['events'], summary: 'List the event log, newest first', querystring: EventListQuery, response: { 200: PageOf(EventSchema), ...errorResponses } },
      },
      async (request) => {
        const q = request.query;
        const page = await listEvents(
          db,
          {
            ...(q.type ? { kind: q.type } : {}),
            alarmIds: parseList(q.alarm_id, 'alarm_id', isAlarmId, 'an alarm ID (GGG.NNN)'),
            severities: parseList(q.severity, 'severity', (s) => EVENT_SEVERITIES.includes(s), `one of ${EVENT_SEVERITIES.join(', ')}`),
            entityPrefix: q.entity,
            includeSuppressed: q.include_suppressed,
          },
          { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) },
        );
        return { items: page.rows.map(toEventView), next_cursor: page.nextCursor };
      },
    );

    app.get(
      '/events/:uuid',
      {
        config: { roles: ANY_ROLE },
        schema: { tags: ['events'], summary: 'Show one event', params: UuidParams, response: { 200: EventSchema, ...errorResponses } },
      },
      async (request) => {
        const row = await getEvent(db, request.params.uuid);
        if (!row) throw new NotFoundError(`event ${request.params.uuid} not found`, 'uuid');
        return toEventView(row);
      },
    );

    app.post(
      '/events',
      {
        config: { roles: OPERATORS },
        schema: { tags: ['events'], summary: 'Write a customer log (or msg) to the event log', body: LogBody, response: { 201: EventSchema, ...errorResponses } },
      },
      async (request, reply) => reply.status(201).send(await fault.log(request.body)),
    );
  };
