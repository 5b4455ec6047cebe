/** /api/v1/hosts: inventory (StarlingX `system host-list | host-show | host-add | host-delete`). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../../api/schemas.js';
import { ADMINS, ANY_ROLE } from '../users/roles.js';
import { AddHostBody, EnrollTicketSchema, HostnameParams, HostSchema } from './host.schemas.js';
import type { HostService } from './host.service.js';

export const hostRoutes =
  ({ hosts }: { hosts: HostService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/hosts', { config: { roles: ANY_ROLE }, schema: { tags: ['hosts'], summary: 'List hosts', response: { 200: Type.Object({ items: Type.Array(HostSchema) }) } } }, async () => ({
      items: await hosts.list(),
    }));

    app.get(
      '/hosts/:hostname',
      { config: { roles: ANY_ROLE }, schema: { tags: ['hosts'], summary: 'Show a host with its inventory', params: HostnameParams, response: { 200: HostSchema, ...errorResponses } } },
      async (request) => hosts.get(request.params.hostname),
    );

    app.post(
      '/hosts',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['hosts'],
          summary: 'Add a host; returns its one-time enroll token',
          description: 'The host starts locked/disabled/offline. Simplex systems have only controller-0; controllers are controller-0 and controller-1.',
          body: AddHostBody,
          response: { 201: EnrollTicketSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        request.auditTarget = request.body.hostname;
        return reply.status(201).send(await hosts.add(request.body));
      },
    );

    app.post(
      '/hosts/:hostname/enroll-token',
      {
        config: { roles: ADMINS },
        schema: { tags: ['hosts'], summary: 'Issue a new one-time enroll token (reinstalled host)', params: HostnameParams, response: { 201: EnrollTicketSchema, ...errorResponses } },
      },
      async (request, reply) => reply.status(201).send(await hosts.reissueEnrollToken(request.params.hostname)),
    );

    app.delete(
      '/hosts/:hostname',
      {
        config: { roles: ADMINS },
        schema: { tags: ['hosts'], summary: 'Delete a locked host', params: HostnameParams, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        await hosts.delete(request.params.hostname);
        return (reply as FastifyReply).status(204).send();
      },
    );
  };
