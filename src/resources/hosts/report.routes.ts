/** POST /api/v1/agent/report: the host agent's report and long poll. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../api/schemas.js';
import { ReplySchema, ReportSchema } from '../../protocol/agent-wire.js';
import { AGENTS } from '../users/roles.js';
import type { ReportService } from './report.service.js';

export const reportRoutes =
  ({ reports, maxWaitMs }: { reports: ReportService; maxWaitMs: number }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/agent/report',
      {
        // Telemetry every few seconds per host: recorded in the host's status, not the audit log.
        config: { roles: AGENTS, audit: false },
        schema: {
          tags: ['agent'],
          summary: "A host agent's report: heartbeat, status when changed, queued alarm operations; replies with the desired state",
          description: 'Held up to wait_ms (long poll) while the agent is up to date, so desired-state changes reach it at once.',
          body: ReportSchema,
          response: { 200: ReplySchema, ...errorResponses },
        },
      },
      async (request) => {
        const report = { ...request.body, wait_ms: Math.min(request.body.wait_ms, maxWaitMs) };
        return reports.handle(request.principal!.userId, report);
      },
    );
  };
