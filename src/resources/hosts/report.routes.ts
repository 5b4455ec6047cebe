/** POST /api/v1/agent/report: the host agent's report and long poll. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../../api/schemas.js';
import { ReplySchema, ReportSchema } from '../../protocol/agent-wire.js';
import { AGENTS } from '../users/roles.js';
import type { ReportService } from './report.service.js';
import { presentedCertificate } from '../../api/client-certificate.js';
import { principalOwner } from '../../protocol/principals.js';
import type { ChildRenewal } from '../certificates/child-renewal.js';

export const reportRoutes =
  ({ reports, renewal, maxWaitMs }: { reports: ReportService; renewal: ChildRenewal; maxWaitMs: number }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/agent/report',
      {
        // Telemetry every few seconds per host: recorded in the host's status, not the audit log.
        config: { roles: AGENTS, audit: false },
        schema: {
          tags: ['agent'],
          summary: "A host agent's report: heartbeat, status when changed, queued alarm operations; replies with the desired state",
          description:
            'Held up to wait_ms (long poll) while the agent is up to date, so desired-state changes reach it at once. ' +
            'An agent that names its process in `pulse` is handed a host heartbeat session in `pulse` (UDP pulses, HMAC-SHA256 with that key, every period_ms); a new session is answered at once. ' +
            'Over mutual TLS it also renews the client certificate (renew_certificate, then csr → certificate) and hands out the CAs to trust (trust_token → trust); a report with a csr is answered at once.',
          body: ReportSchema,
          response: { 200: ReplySchema, ...errorResponses },
        },
      },
      async (request) => {
        const principal = request.principal!;
        const report = { ...request.body, wait_ms: request.body.csr ? 0 : Math.min(request.body.wait_ms, maxWaitMs) };
        const reply = await reports.handle(principal.userId, report);
        const renewed = await renewal.answer({ principal: principal.name, type: 'host-client', owner: principalOwner(principal.name) }, report, presentedCertificate(request));
        return { ...reply, ...renewed };
      },
    );
  };
