/**
 * The subcloud protocol on the system controller (/api/v1/dc/enroll and
 * /api/v1/dc/report) and the fleet alarm summary.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { errorResponses, ErrorSchema } from '../../api/schemas.js';
import type { Schema } from '../../db/schema.js';
import { SubcloudReplySchema, SubcloudReportSchema } from '../../protocol/subcloud-wire.js';
import { ANY_ROLE, SUBCLOUDS } from '../users/roles.js';
import { fleetAlarmSummary } from './fleet-summary.js';
import type { SubcloudService } from './subcloud.service.js';
import { SUBCLOUD_NAME_PATTERN } from './subcloud.types.js';
import type { UplinkService } from './uplink.service.js';
import { principalOwner, subcloudPrincipal } from '../../protocol/principals.js';
import { presentedCertificate } from '../../api/client-certificate.js';
import type { ChildRenewal } from '../certificates/child-renewal.js';

const Counts = { critical: Type.Integer(), major: Type.Integer(), minor: Type.Integer(), warning: Type.Integer() };

export const dcRoutes =
  ({ db, subclouds, uplink, renewal, maxWaitMs }: { db: Kysely<Schema>; subclouds: SubcloudService; uplink: UplinkService; renewal: ChildRenewal; maxWaitMs: number }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/dc/enroll',
      {
        // The enroll token is the credential; the service checks it.
        config: { public: true },
        schema: {
          tags: ['subclouds'],
          summary: 'A subcloud trades its one-time enroll token for its own credential',
          body: Type.Object(
            {
              token: Type.String({ minLength: 8, maxLength: 128 }),
              name: Type.Optional(Type.String({ pattern: SUBCLOUD_NAME_PATTERN, description: 'checked against the name the token was issued for' })),
              csr: Type.Optional(Type.String({ maxLength: 8192, description: "PEM certificate request for the subcloud's client certificate; required when the system controller serves TLS" })),
              ca_csr: Type.Optional(Type.String({ maxLength: 8192, description: "PEM certificate request for the subcloud's intermediate CA (it signs the subcloud's API and agent certificates)" })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              id: Type.Integer(),
              name: Type.String(),
              credential: Type.String(),
              certificate: Type.Optional(Type.String({ description: "The subcloud's client certificate (PEM): present it on every report (mutual TLS)" })),
              ca_certificate: Type.Optional(Type.String({ description: "The subcloud's intermediate CA, then the fleet root (PEM)" })),
            }),
            400: ErrorSchema,
            401: ErrorSchema,
          },
        },
      },
      async (request) => {
        const enrolled = await subclouds.enroll(request.body);
        request.auditUser = subcloudPrincipal(enrolled.name);
        request.auditTarget = enrolled.name;
        return enrolled;
      },
    );

    app.post(
      '/dc/report',
      {
        // Telemetry from every subcloud every interval: recorded on the subcloud's row, not in the audit log.
        config: { roles: SUBCLOUDS, audit: false },
        schema: {
          tags: ['subclouds'],
          summary: "A subcloud's report: heartbeat, status when changed, alarm deltas; replies with its desired state (long poll)",
          description:
            'Over mutual TLS it also renews the client certificate (renew_certificate, then csr → certificate) and the intermediate CA (ca_csr → ca_certificate), ' +
            'and hands out the CAs to trust (trust_token → trust); a report with a request is answered at once.',
          body: SubcloudReportSchema,
          response: { 200: SubcloudReplySchema, ...errorResponses },
        },
      },
      async (request) => {
        const principal = request.principal!;
        const body = request.body;
        const asks = body.csr !== undefined || body.ca_csr !== undefined;
        const reply = await uplink.handle(Number(principal.userId), { ...body, wait_ms: asks ? 0 : Math.min(body.wait_ms, maxWaitMs) });
        const owner = principalOwner(principal.name);
        const renewed = await renewal.answer({ principal: principal.name, type: 'subcloud-client', owner }, body, presentedCertificate(request));
        const ca = !renewal.ready ? {} : body.ca_csr !== undefined ? await renewal.answerCa(owner, body.ca_csr) : (await renewal.caDue(owner)) ? { renew_ca: true } : {};
        return { ...reply, ...renewed, ...ca };
      },
    );

    app.get(
      '/fleet/alarm-summary',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['subclouds'],
          summary: 'Alarm counts per subcloud with cloud_status (dcmanager alarm summary), and fleet totals',
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }), cursor: Type.Optional(Type.String({ maxLength: 512 })) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              totals: Type.Object(Counts),
              cloud_status: Type.Object({ critical: Type.Integer(), degraded: Type.Integer(), OK: Type.Integer() }),
              items: Type.Array(Type.Object({ name: Type.String(), ...Counts, cloud_status: Type.String() })),
              next_cursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => fleetAlarmSummary(db, { limit: request.query.limit, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) }),
    );
  };
