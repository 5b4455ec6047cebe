/** /api/v1/audit: the security audit log (admin only). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { errorResponses, PageOf, PageQuery, StringEnum, Text } from '../../api/schemas.js';
import type { Schema } from '../../db/schema.js';
import { ADMINS } from '../users/roles.js';
import { listAudit, toAuditView } from './audit.store.js';

const AuditSchema = Type.Object(
  {
    seq: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    user: Type.Union([Type.String(), Type.Null()]),
    role: Type.Union([Type.String(), Type.Null()]),
    source: Type.String({ description: 'Client address' }),
    method: Type.String(),
    route: Type.String(),
    target_id: Type.Union([Type.String(), Type.Null()]),
    status: Type.Integer(),
    outcome: Type.String({ description: 'success, denied (401/403) or failure' }),
  },
  { title: 'AuditRecord' },
);

export const auditRoutes =
  ({ db }: { db: Kysely<Schema> }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/audit',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['audit'],
          summary: 'Mutating requests, newest first',
          querystring: Type.Object(
            { user: Type.Optional(Text({ maxLength: 64 })), outcome: Type.Optional(StringEnum(['success', 'denied', 'failure'] as const)), ...PageQuery },
            { additionalProperties: false },
          ),
          response: { 200: PageOf(AuditSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { user, outcome, limit, cursor } = request.query;
        const page = await listAudit(db, { ...(user ? { user } : {}), ...(outcome ? { outcome } : {}) }, { limit, ...(cursor ? { cursor } : {}) });
        return { items: page.rows.map(toAuditView), next_cursor: page.nextCursor };
      },
    );
  };
