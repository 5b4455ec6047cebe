/** /api/v1/auth: login, logout, whoami, API tokens. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { errorResponses, ErrorSchema, StringEnum, Text } from '../../api/schemas.js';
import { ANY_ROLE, ROLES } from '../users/roles.js';
import { asUser, type AuthService } from './auth.service.js';

const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const Whoami = Type.Object({ name: Type.String(), role: StringEnum(ROLES), via: StringEnum(['session', 'api-token'] as const) });

export const authRoutes =
  ({ auth }: { auth: AuthService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['auth'],
          summary: 'Log in; returns a session token (Bearer) that expires',
          description: 'Failed logins are limited per (user name, source address) and per source address (429 with Retry-After); guesses for one user from many addresses are slowed down, not locked out.',
          body: Type.Object(
            { username: Text({ maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ token: Type.String(), expires_at: Type.String({ format: 'date-time' }), user: Type.Object({ name: Type.String(), role: StringEnum(ROLES) }) }),
            400: ErrorSchema,
            401: ErrorSchema,
            429: ErrorSchema,
          },
        },
      },
      async (request) => {
        request.auditUser = request.body.username;
        return auth.login(request.body.username, request.body.password, request.auditSource);
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['auth'],
          summary: "End the caller's session now, on every replica (the token is refused from then on, and its event streams end)",
          description: 'Only for a session token from login; an API token is revoked with DELETE /auth/tokens/{id}.',
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await auth.logout(asUser(request.principal), request.headers.authorization);
        return (reply as FastifyReply).status(204).send();
      },
    );

    app.get(
      '/auth/whoami',
      { config: { roles: ANY_ROLE }, schema: { tags: ['auth'], summary: 'Who the token belongs to', response: { 200: Whoami, ...errorResponses } } },
      async (request) => {
        const p = asUser(request.principal);
        return { name: p.name, role: p.role, via: p.via as 'session' | 'api-token' };
      },
    );

    app.get(
      '/auth/tokens',
      { config: { roles: ANY_ROLE }, schema: { tags: ['auth'], summary: "The caller's API tokens (never the secrets)", response: { 200: Type.Object({ items: Type.Array(TokenView) }) } } },
      async (request) => ({ items: await auth.listApiTokens(request.principal!) }),
    );

    app.post(
      '/auth/tokens',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['auth'],
          summary: 'Create an API token for scripts; it acts with your role. The token is shown once.',
          body: Type.Object(
            { name: Text({ maxLength: 64 }), expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Default 90' })) },
            { additionalProperties: false },
          ),
          response: { 201: Type.Intersect([TokenView, Type.Object({ token: Type.String() })]), ...errorResponses },
        },
      },
      async (request, reply) => {
        const created = await auth.createApiToken(request.principal!, request.body.name, request.body.expires_in_days);
        request.auditTarget = created.id;
        return reply.status(201).send(created);
      },
    );

    app.delete(
      '/auth/tokens/:id',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['auth'],
          summary: 'Revoke one of your API tokens',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await auth.revokeApiToken(request.principal!, request.params.id);
        return (reply as FastifyReply).status(204).send();
      },
    );
  };
