/** /api/v1/users: user management (admin), own password change (anyone). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { errorResponses, StringEnum } from '../../api/schemas.js';
import { ADMINS, ANY_ROLE, ROLES } from './roles.js';
import { asUser } from '../auth/auth.service.js';
import { USER_NAME_PATTERN, type UserService } from './user.service.js';

const UserSchema = Type.Object(
  { name: Type.String(), role: StringEnum(ROLES), created_at: Type.String({ format: 'date-time' }), updated_at: Type.String({ format: 'date-time' }) },
  { title: 'User' },
);
const NameParams = Type.Object({ name: Type.String({ pattern: USER_NAME_PATTERN, description: 'User name' }) }, { additionalProperties: false });
const Password = Type.String({ minLength: 8, maxLength: 256, description: 'At least 8 characters' });

export const userRoutes =
  ({ users }: { users: UserService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/users',
      { config: { roles: ANY_ROLE }, schema: { tags: ['users'], summary: 'List users (never passwords)', response: { 200: Type.Object({ items: Type.Array(UserSchema) }) } } },
      async () => ({ items: await users.list() }),
    );

    app.get(
      '/users/:name',
      { config: { roles: ANY_ROLE }, schema: { tags: ['users'], summary: 'Show a user', params: NameParams, response: { 200: UserSchema, ...errorResponses } } },
      async (request) => users.get(request.params.name),
    );

    app.post(
      '/users',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['users'],
          summary: 'Create a user; without a password one is generated and returned once',
          body: Type.Object(
            { name: Type.String({ pattern: USER_NAME_PATTERN, description: 'a-z, 0-9, ".", "_", "-"; starts with a letter' }), role: StringEnum(ROLES), password: Type.Optional(Password) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Intersect([UserSchema, Type.Object({ generated_password: Type.Optional(Type.String()) })]), ...errorResponses },
        },
      },
      async (request, reply) => {
        request.auditTarget = request.body.name;
        const { user, generatedPassword } = await users.create(request.body);
        return reply.status(201).send({ ...user, ...(generatedPassword ? { generated_password: generatedPassword } : {}) });
      },
    );

    app.patch(
      '/users/:name',
      {
        // Any role may change its own password; the service refuses the rest to non-admins.
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['users'],
          summary: "Change a user's role or password (admin), or your own password",
          description: 'The last admin cannot be demoted. Changing role or password ends the user\'s login sessions.',
          params: NameParams,
          body: Type.Object({ role: Type.Optional(StringEnum(ROLES)), password: Type.Optional(Password) }, { additionalProperties: false }),
          response: { 200: UserSchema, ...errorResponses },
        },
      },
      async (request) => users.update(request.params.name, request.body, asUser(request.principal)),
    );

    app.delete(
      '/users/:name',
      {
        config: { roles: ADMINS },
        schema: { tags: ['users'], summary: 'Delete a user (not yourself, not the last admin)', params: NameParams, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        await users.delete(request.params.name, request.principal!);
        return (reply as FastifyReply).status(204).send();
      },
    );
  };
