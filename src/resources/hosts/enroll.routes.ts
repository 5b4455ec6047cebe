/** POST /api/v1/agent/enroll: a host agent trades its one-time token for a credential. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ErrorSchema } from '../../api/schemas.js';
import { HOSTNAME_PATTERN, type HostService } from './host.service.js';
import { hostPrincipal } from '../../protocol/principals.js';

export const enrollRoutes =
  ({ hosts }: { hosts: HostService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/agent/enroll',
      {
        // The enroll token is the credential; it is checked by the service.
        config: { public: true },
        schema: {
          tags: ['agent'],
          summary: 'Enroll a host agent with a one-time token; returns its own credential',
          description: 'Unknown, reused or expired tokens are 401 with the reason; so is a hostname other than the one the token was issued for.',
          body: Type.Object(
            {
              token: Type.String({ minLength: 8, maxLength: 128 }),
              hostname: Type.String({ pattern: HOSTNAME_PATTERN, maxLength: 63 }),
              csr: Type.Optional(Type.String({ maxLength: 8192, description: "PEM certificate request for the agent's client certificate; required when the controller serves TLS" })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              hostname: Type.String(),
              host_id: Type.String(),
              credential: Type.String({ description: 'Send as "Authorization: Bearer <credential>"' }),
              certificate: Type.Optional(Type.String({ description: "The agent's client certificate (PEM), signed by this controller's CA: present it on every connection (mutual TLS)" })),
            }),
            400: ErrorSchema,
            401: ErrorSchema,
          },
        },
      },
      async (request) => {
        request.auditUser = hostPrincipal(request.body.hostname);
        request.auditTarget = request.body.hostname;
        const { host, credential, certificate } = await hosts.enroll(request.body);
        return { hostname: host.hostname, host_id: host.id, credential, ...(certificate ? { certificate } : {}) };
      },
    );
  };
