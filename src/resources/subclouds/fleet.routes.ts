/**
 * Fleet-wide views on the system controller: every subcloud's active alarms
 * (/api/v1/fleet/alarms), the subclouds' active errors grouped by cause
 * (/api/v1/fleet/errors), and their certificate expiry (/api/v1/fleet/certificates).
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
import { fleetCertificates } from './fleet-certificates.js';
import type { Clock } from '../../core/clock.js';
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

const FleetCertificateSchema = Type.Object(
  {
    name: Type.String({ description: 'Subcloud name' }),
    availability_status: Type.String(),
    soonest: Type.Union([
      Type.Object({
        name: Type.String({ description: "The certificate's name on the subcloud" }),
        type: Type.String(),
        expiry_date: Type.String({ format: 'date-time' }),
        residual_days: Type.Integer({ description: 'Days left (negative once expired)' }),
      }),
      Type.Null(),
    ]),
    expiring: Type.Integer({ description: 'Its active 500.200 alarms (a certificate inside its warning window)' }),
    expired: Type.Integer({ description: 'Its active 500.210 alarms (an expired certificate)' }),
  },
  { title: 'FleetCertificate' },
);

export const fleetRoutes =
  ({ db, clock, errors }: { db: Kysely<Schema>; clock: Clock; errors: SubcloudErrors }): FastifyPluginAsyncTypebox =>
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

    app.get(
      '/fleet/certificates',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['subclouds', 'certificates'],
          summary: 'The subclouds whose certificates expire soonest, with their certificate alarms (500.200, 500.210), and fleet totals',
          description: 'Each subcloud reports its soonest-expiring certificate in its status; subclouds that have not reported one are not listed.',
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              totals: Type.Object({
                subclouds_reporting: Type.Integer({ description: 'Subclouds that reported their certificates' }),
                subclouds_expiring: Type.Integer({ description: 'Subclouds with a 500.200 active' }),
                subclouds_expired: Type.Integer({ description: 'Subclouds with a 500.210 active' }),
              }),
              items: Type.Array(FleetCertificateSchema),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => fleetCertificates(db, clock.now(), request.query.limit),
    );
  };
