/**
 * /api/v1/system/platform: DNS servers, NTP servers and the trusted CA bundle
 * (StarlingX `system dns-modify`, `system ntp-modify`, `certificate-install
 * -m ssl_ca`). On a system controller they are the `platform` sync
 * endpoint's content: a change reaches every managed subcloud.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { errorResponses } from '../../api/schemas.js';
import type { Schema } from '../../db/schema.js';
import { MAX_PLATFORM_SERVERS, readPlatform, validatePlatform, writePlatform } from '../sync/platform.js';
import { ADMINS, ANY_ROLE } from '../users/roles.js';

// The list's length is checked here; what each entry may be (and repeats), by validatePlatform, whose errors name the entry.
const Servers = (description: string) => Type.Array(Type.String({ maxLength: 253 }), { maxItems: MAX_PLATFORM_SERVERS, description });
const PlatformSchema = Type.Object(
  {
    dns_servers: Servers(`DNS servers: IPv4 or IPv6 addresses, at most ${MAX_PLATFORM_SERVERS}, no repeats`),
    ntp_servers: Servers(`NTP servers: IP addresses or host names (RFC 1123), at most ${MAX_PLATFORM_SERVERS}, no repeats`),
    ca_bundle: Type.String({ maxLength: 256 * 1024, description: 'PEM certificates; empty for none' }),
  },
  { title: 'PlatformSettings' },
);

export const platformRoutes =
  ({ db, changed }: { db: Kysely<Schema>; changed: () => Promise<unknown> }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/system/platform',
      { config: { roles: ANY_ROLE }, schema: { tags: ['system'], summary: 'Show DNS, NTP and trusted CA settings', response: { 200: PlatformSchema, ...errorResponses } } },
      async () => readPlatform(db),
    );

    app.patch(
      '/system/platform',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['system'],
          summary: 'Change DNS servers, NTP servers or the trusted CA bundle',
          description: 'On a system controller the change is synced to every managed subcloud (endpoint `platform`).',
          body: Type.Partial(PlatformSchema, { additionalProperties: false }),
          response: { 200: PlatformSchema, ...errorResponses },
        },
      },
      async (request) => {
        validatePlatform(request.body);
        const next = { ...(await readPlatform(db)), ...request.body };
        await writePlatform(db, next);
        await changed();
        return next;
      },
    );
  };
