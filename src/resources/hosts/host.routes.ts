/** /api/v1/hosts: inventory (StarlingX `system host-list | host-show | host-add | host-delete`). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { errorResponses, PageOf, StringEnum } from '../../api/schemas.js';
import { ADMINS, ANY_ROLE, OPERATORS } from '../users/roles.js';
import { AddHostBody, EnrollTicketSchema, HostListQuery, HostnameParams, HostSchema, HostSummarySchema } from './host.schemas.js';
import type { HostActions } from './host-actions.js';
import { HOST_ACTIONS } from './host-guards.js';
import type { HostService } from './host.service.js';

export const hostRoutes =
  ({ hosts, actions }: { hosts: HostService; actions: HostActions }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/hosts',
      {
        config: { roles: ANY_ROLE },
        schema: { tags: ['hosts'], summary: 'List hosts by name (inventory and configuration: show)', querystring: HostListQuery, response: { 200: PageOf(HostSummarySchema), ...errorResponses } },
      },
      async (request) => hosts.list({ limit: request.query.limit, ...(request.query.cursor ? { cursor: request.query.cursor } : {}) }),
    );

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

    app.post(
      '/hosts/:hostname/actions',
      {
        config: { roles: OPERATORS },
        schema: {
          tags: ['hosts'],
          summary: 'lock [force], unlock, reboot, reinstall or swact a host',
          description:
            'StarlingX rules: the active controller can only be locked on simplex; an unreachable host needs force lock; reboot and reinstall need a locked host; swact is for the active controller in duplex, with the standby unlocked and available. A refusal (409) names the rule.',
          params: HostnameParams,
          body: Type.Object({ action: StringEnum(HOST_ACTIONS), force: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
          response: { 200: HostSchema, ...errorResponses },
        },
      },
      async (request) => actions.run(request.params.hostname, request.body.action, { force: request.body.force ?? false }),
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
