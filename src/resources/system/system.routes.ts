/** /api/v1/system (StarlingX `system show | modify`). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, StringEnum, Text } from '../../api/schemas.js';
import { ADMINS, ANY_ROLE } from '../users/roles.js';
import { SYSTEM_MODES, type SystemService } from './system.service.js';

const SystemSchema = Type.Object(
  {
    name: Type.String(),
    mode: StringEnum(SYSTEM_MODES),
    role: Type.String({ description: 'standalone, subcloud or systemcontroller' }),
    software_version: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'System' },
);

export const systemRoutes =
  ({ system }: { system: SystemService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get('/system', { config: { roles: ANY_ROLE }, schema: { tags: ['system'], summary: 'Show the system', response: { 200: SystemSchema } } }, async () => system.get());

    app.patch(
      '/system',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['system'],
          summary: 'Rename the system, or change its mode',
          description: 'Mode: simplex → duplex only, with controller-0 locked; never back. A refusal names the rule.',
          body: Type.Object({ name: Type.Optional(Text({ maxLength: 64 })), mode: Type.Optional(StringEnum(SYSTEM_MODES)) }, { additionalProperties: false }),
          response: { 200: SystemSchema, ...errorResponses },
        },
      },
      async (request) => system.modify(request.body),
    );
  };
