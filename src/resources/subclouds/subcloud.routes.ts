/** /api/v1/subclouds and /api/v1/subcloud-groups (dcmanager subcloud, subcloud-group). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { errorResponses, PageOf } from '../../api/schemas.js';
import type { SiteRole } from '../../core/config.js';
import { ConflictError } from '../../core/errors.js';
import { ADMINS, ANY_ROLE, OPERATORS } from '../users/roles.js';
import type { GroupService } from './group.service.js';
import {
  AddSubcloudBody,
  CreateGroupBody,
  GroupRef,
  GroupSchema,
  SubcloudDetailSchema,
  SubcloudErrorsSchema,
  SubcloudListQuery,
  SubcloudRef,
  SubcloudSchema,
  UpdateGroupBody,
  UpdateSubcloudBody,
} from './subcloud.schemas.js';
import type { SubcloudService } from './subcloud.service.js';

/**
 * Why this controller refuses to change subclouds or their groups, or
 * undefined on a system controller: as in StarlingX, where dcmanager runs
 * only on the system controller, subclouds are added and managed there.
 */
function siteRoleRefusal(role: SiteRole): string | undefined {
  if (role === 'systemcontroller') return undefined;
  const hint = role === 'subcloud' ? 'it reports to its system controller: add and manage subclouds there' : 'start a system controller (starling serve --role systemcontroller) to manage subclouds';
  return `subclouds are added and managed on a system controller; this controller's role is ${role} (${hint})`;
}

export const subcloudRoutes =
  ({ subclouds, groups, siteRole }: { subclouds: SubcloudService; groups: GroupService; siteRole: SiteRole }): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Every mutating route below (add, enroll token, update and group moves, manage, delete, and the groups themselves);
    // reads stay open, so a standalone site lists none. After authentication (a reader still gets 403), before the body is checked.
    const refusal = siteRoleRefusal(siteRole);
    if (refusal !== undefined) {
      app.addHook('preValidation', async (request) => {
        if (request.method !== 'GET' && request.method !== 'HEAD') throw new ConflictError(refusal);
      });
    }
    app.get(
      '/subclouds',
      { config: { roles: ANY_ROLE }, schema: { tags: ['subclouds'], summary: 'List subclouds', querystring: SubcloudListQuery, response: { 200: PageOf(SubcloudSchema), ...errorResponses } } },
      async (request) => {
        const { group, availability_status, management_state, name, limit, cursor } = request.query;
        const groupId = group !== undefined ? (await groups.row(group)).id : undefined;
        return subclouds.list(
          { ...(groupId !== undefined ? { group_id: groupId } : {}), ...(availability_status ? { availability_status } : {}), ...(management_state ? { management_state } : {}), ...(name ? { name_prefix: name } : {}) },
          { limit, ...(cursor ? { cursor } : {}) },
        );
      },
    );
    app.get(
      '/subclouds/:subcloud',
      { config: { roles: ANY_ROLE }, schema: { tags: ['subclouds'], summary: 'Show a subcloud with its endpoint sync status', params: SubcloudRef, response: { 200: SubcloudDetailSchema, ...errorResponses } } },
      async (request) => subclouds.show(request.params.subcloud),
    );
    app.get(
      '/subclouds/:subcloud/errors',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['subclouds'],
          summary: 'Active errors with cause, evidence and proposed repair (dcmanager subcloud errors)',
          params: SubcloudRef,
          querystring: Type.Object({ all: Type.Boolean({ default: false, description: 'Also the cleared errors (history)' }) }, { additionalProperties: false }),
          response: { 200: SubcloudErrorsSchema, ...errorResponses },
        },
      },
      async (request) => subclouds.errors(request.params.subcloud, { all: request.query.all }),
    );
    app.post(
      '/subclouds',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['subclouds'],
          summary: 'Add a subcloud; returns its one-time enroll token',
          description:
            'The subcloud starts unmanaged, offline, pre-enroll. Run "starling serve --role subcloud --system-controller URL --enroll-token T" on it. ' +
            'Only a system controller adds subclouds (and changes them and their groups): a standalone or subcloud controller answers 409.',
          body: AddSubcloudBody,
          response: { 201: Type.Object({ subcloud: SubcloudDetailSchema, enroll_token: Type.String(), expires_at: Type.String({ format: 'date-time' }) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        request.auditTarget = request.body.name;
        return reply.status(201).send(await subclouds.add(request.body));
      },
    );
    app.post(
      '/subclouds/:subcloud/enroll-token',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['subclouds'],
          summary: 'Issue a new one-time enroll token for a known subcloud',
          description:
            'The way back for a subcloud whose client certificate expired while it was offline longer than its lifetime, or that lost its credential: ' +
            'run "starling serve --role subcloud --enroll-token T" on it. Its current credential works until it enrolls with the new token.',
          params: SubcloudRef,
          response: { 201: Type.Object({ subcloud: SubcloudDetailSchema, enroll_token: Type.String(), expires_at: Type.String({ format: 'date-time' }) }), ...errorResponses },
        },
      },
      async (request, reply) => reply.status(201).send(await subclouds.reissueEnrollToken(request.params.subcloud)),
    );

    app.patch(
      '/subclouds/:subcloud',
      { config: { roles: ADMINS }, schema: { tags: ['subclouds'], summary: 'Change description, location, group, or the system controller it reports to', params: SubcloudRef, body: UpdateSubcloudBody, response: { 200: SubcloudDetailSchema, ...errorResponses } } },
      async (request) => subclouds.update(request.params.subcloud, request.body),
    );
    for (const state of ['managed', 'unmanaged'] as const) {
      app.post(
        `/subclouds/:subcloud/${state === 'managed' ? 'manage' : 'unmanage'}`,
        {
          config: { roles: OPERATORS },
          schema: {
            tags: ['subclouds'],
            summary: state === 'managed' ? 'Manage a subcloud (online and deployed, unless force)' : 'Unmanage a subcloud',
            params: SubcloudRef,
            body: Type.Optional(Type.Object({ force: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
            response: { 200: SubcloudDetailSchema, ...errorResponses },
          },
        },
        async (request) => subclouds.setManagement(request.params.subcloud, state, request.body?.force ?? false),
      );
    }
    app.delete(
      '/subclouds/:subcloud',
      { config: { roles: ADMINS }, schema: { tags: ['subclouds'], summary: 'Delete an unmanaged subcloud', params: SubcloudRef, response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        await subclouds.delete(request.params.subcloud);
        return (reply as FastifyReply).status(204).send();
      },
    );

    app.get('/subcloud-groups', { config: { roles: ANY_ROLE }, schema: { tags: ['subclouds'], summary: 'List subcloud groups', response: { 200: Type.Object({ items: Type.Array(GroupSchema) }) } } }, async () => ({
      items: await groups.list(),
    }));
    app.get(
      '/subcloud-groups/:group',
      { config: { roles: ANY_ROLE }, schema: { tags: ['subclouds'], summary: 'Show a subcloud group', params: GroupRef, response: { 200: GroupSchema, ...errorResponses } } },
      async (request) => groups.get(request.params.group),
    );
    app.post(
      '/subcloud-groups',
      { config: { roles: ADMINS }, schema: { tags: ['subclouds'], summary: 'Create a subcloud group', body: CreateGroupBody, response: { 201: GroupSchema, ...errorResponses } } },
      async (request, reply) => {
        request.auditTarget = request.body.name;
        return reply.status(201).send(await groups.create(request.body));
      },
    );
    app.patch(
      '/subcloud-groups/:group',
      { config: { roles: ADMINS }, schema: { tags: ['subclouds'], summary: 'Update a subcloud group', params: GroupRef, body: UpdateGroupBody, response: { 200: GroupSchema, ...errorResponses } } },
      async (request) => groups.update(request.params.group, request.body),
    );
    app.delete(
      '/subcloud-groups/:group',
      { config: { roles: ADMINS }, schema: { tags: ['subclouds'], summary: 'Delete a group; its subclouds move to Default', params: GroupRef, response: { 204: Type.Null(), ...errorResponses } } },
      async (request, reply) => {
        await groups.delete(request.params.group);
        return (reply as FastifyReply).status(204).send();
      },
    );
  };
