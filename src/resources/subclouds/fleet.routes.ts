/**
 * Fleet-wide views on the system controller: every subcloud's active alarms
 * (/api/v1/fleet/alarms) and the subclouds' active errors grouped by cause
 * (/api/v1/fleet/errors).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { isAlarmId, parseList } from '../../api/list-params.js';
import { errorResponses, PageOf, PageQuery } from '../../api/schemas.js';
import type { Schema } from '../../db/schema.js';
import { SEVERITIES } from '../alarms/catalogue.js';
import { ANY_ROLE } from '../users/roles.js';
import { listFleetAlarms } from './fleet-alarms.js';
import { FLEET_EXAMPLES, type SubcloudErrors } from './subcloud-errors.js';
import { SUBCLOUD_NAME_PATTERN } from './subcloud.types.js';

const isSeverity = (s: string) => (SEVERITIES as readonly string[]).includes(s);

const FleetAlarmSchema = Type.Object(
  {
    subcloud: Type.String({ description: 'Subcloud name' }),
    uuid: Type.String(),
    alarm_id: Type.String(),
    entity_instance_id: Type.String(),
    severity: Type.String(),
    reason_text: Type.String(),
    mgmt_affecting: Type.Boolean(),
    timestamp: Type.String({ format: 'date-time' }),
  },
  { title: 'FleetAlarm' },
);

const FleetAlarmQuery = Type.Object(
  {
    subcloud: Type.Optional(Type.String({ pattern: SUBCLOUD_NAME_PATTERN, description: 'Only this subcloud (name)' })),
    severity: Type.Optional(Type.String({ maxLength: 100, description: 'Severities, comma-separated' })),
    alarm_id: Type.Optional(Type.String({ maxLength: 800, description: 'Alarm IDs, comma-separated' })),
    ...PageQuery,
  },
  { additionalProperties: false },
);

const FleetErrorGroupSchema = Type.Object(
  {
    cause: Type.String(),
    subclouds: Type.Integer({ description: 'Subclouds with this cause active' }),
    examples: Type.Array(Type.String(), { description: `Up to ${FLEET_EXAMPLES} of them, most recently failing first` }),
    what: Type.String({ description: "The most recent failure's description" }),
    repair: Type.String({ description: 'Proposed repair action (NAME: the subcloud)' }),
    last_at: Type.String({ format: 'date-time' }),
  },
  { title: 'FleetErrorGroup' },
);

export const fleetRoutes =
  ({ db, errors }: { db: Kysely<Schema>; errors: SubcloudErrors }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/fleet/alarms',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['subclouds'],
          summary: "Every subcloud's active alarms, newest first; filter by subcloud, severity, alarm ID",
          querystring: FleetAlarmQuery,
          response: { 200: PageOf(FleetAlarmSchema), ...errorResponses },
        },
      },
      async (request) => {
        const q = request.query;
        const severities = parseList(q.severity, 'severity', isSeverity, `one of ${SEVERITIES.join(', ')}`);
        const alarmIds = parseList(q.alarm_id, 'alarm_id', isAlarmId, 'an alarm ID (GGG.NNN)');
        return listFleetAlarms(
          db,
          { ...(q.subcloud !== undefined ? { subcloud: q.subcloud } : {}), ...(severities ? { severities } : {}), ...(alarmIds ? { alarmIds } : {}) },
          { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) },
        );
      },
    );

    app.get(
      '/fleet/errors',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['subclouds'],
          summary: "The subclouds' active errors grouped by cause, most subclouds first, with a proposed repair",
          response: { 200: Type.Object({ items: Type.Array(FleetErrorGroupSchema) }), ...errorResponses },
        },
      },
      async () => ({ items: await errors.fleetByCause() }),
    );
  };
