/** The OpenAPI 3 document at /api/openapi.json and its docs page at /api/docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../core/version.js';
import { docsPolicy } from './security-headers.js';

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Starling API',
        version: VERSION,
        description:
          'Edge cloud management after StarlingX. Authenticate with POST /api/v1/auth/login and send "Authorization: Bearer <token>". Every 4xx body is {code, message, field?}; a path parameter over 256 characters gets 414 and a malformed path 400, on every route. A client that hangs up before its request body arrived gets no answer; its audit row has status 499. Lists are paginated with limit and cursor (next_cursor). Served over HTTPS with the controller\'s own CA (or an operator\'s certificate); host agents and subclouds must also present the client certificate issued to them at enrollment (mutual TLS).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'alarms', description: 'Active alarms and the alarm catalogue (StarlingX fm)' },
        { name: 'events', description: 'Event log, suppression and the change stream' },
        { name: 'auth', description: 'Login and API tokens' },
        { name: 'users', description: 'Users and roles' },
        { name: 'audit', description: 'Security audit log' },
        { name: 'system', description: 'The system: name, mode, role' },
        { name: 'hosts', description: 'Hosts: inventory, lifecycle, configuration (StarlingX system host-*)' },
        { name: 'agent', description: 'The host agent protocol: enroll, report' },
        { name: 'subclouds', description: 'Distributed cloud: subclouds and groups (StarlingX dcmanager)' },
        { name: 'certificates', description: 'Certificates held or issued here: expiry, renewal, installation (StarlingX system certificate-*)' },
        { name: 'backups', description: 'Platform backups: consistent archives of the database, release blobs, CAs and keys (StarlingX backup.yml)' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
  });
  // swagger-ui's own policy (it knows its inline scripts' hashes) replaces the dashboard's on its pages.
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true, transformStaticCSP: docsPolicy });
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
