/** /api/v1/suppressions: per-alarm-ID suppression (fm event-suppress ...). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../../api/schemas.js';
import { SuppressionBody, SuppressionSchema } from '../alarms/alarm.schemas.js';
import type { FaultService } from '../alarms/fault.service.js';
import { ANY_ROLE, OPERATORS } from '../users/roles.js';

export const suppressionRoutes =
  ({ fault }: { fault: FaultService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/suppressions',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['events'],
          summary: 'Suppressible alarm IDs and their status (fm event-suppress-list)',
          response: { 200: Type.Object({ items: Type.Array(SuppressionSchema) }) },
        },
      },
      async () => ({ items: await fault.suppressionList() }),
    );

    app.patch(
      '/suppressions',
      {
        config: { roles: OPERATORS },
        schema: {
          tags: ['events'],
          summary: 'Suppress or unsuppress alarm IDs',
          description: 'Suppressed alarms are still raised and logged, but hidden from lists unless include_suppressed is set. Every ID is checked first; nothing changes if one is unknown or not suppressible.',
          body: SuppressionBody,
          response: { 200: Type.Object({ items: Type.Array(SuppressionSchema) }), ...errorResponses },
        },
      },
      async (request) => {
        const { alarm_ids, suppression_status } = request.body;
        request.auditTarget = (alarm_ids === 'all' ? 'all' : alarm_ids.join(',')).slice(0, 255);
        await fault.setSuppression(alarm_ids, suppression_status === 'suppressed', request.principal?.name ?? null);
        return { items: await fault.suppressionList() };
      },
    );
  };
