/** /api/v1/certificates (StarlingX `system certificate-list | certificate-show | certificate-install`, and renew). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses, PageOf, PageQuery, StringEnum } from '../../api/schemas.js';
import { ADMINS, ANY_ROLE } from '../users/roles.js';
import { CERTIFICATE_TYPES, RENEWAL_MODES } from './certificate.types.js';
import { INSTALLABLE_TYPES, type CertificateService } from './certificate.service.js';

const CertificateSchema = Type.Object({
  id: Type.String(),
  name: Type.String({ description: '`platform`, the CA by its type, or `<type>/<owner>` for one issued to a child' }),
  type: StringEnum(CERTIFICATE_TYPES),
  renewal: StringEnum(RENEWAL_MODES, { description: '`auto`: Starling issued it; `manual`: an operator installed it' }),
  state: StringEnum(['valid', 'expiring-soon', 'expired'] as const, { description: 'expiring-soon: inside its alarm window (500.200); expired: 500.210' }),
  residual_time: Type.String({ description: 'time left, e.g. "364d 23h"' }),
  issue_date: Type.String({ description: 'not before (ISO 8601)' }),
  expiry_date: Type.String({ description: 'not after (ISO 8601)' }),
  subject: Type.String(),
  issuer: Type.String(),
  sans: Type.Array(Type.String(), { description: 'DNS names and IP addresses' }),
  fingerprint: Type.String({ description: 'sha256 of the certificate (DER), hex' }),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'the host or subcloud it was issued to' }),
});
const CertificateDetailSchema = Type.Intersect([CertificateSchema, Type.Object({ pem: Type.String({ description: 'the certificate and its chain (PEM); never a private key' }) })]);
const Params = Type.Object({ id: Type.String({ maxLength: 255, description: 'id or name' }) });

export const certificateRoutes =
  ({ certificates }: { certificates: CertificateService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/certificates',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['certificates'],
          summary: 'Certificates held or issued here, soonest expiry first',
          querystring: Type.Object({
            ...PageQuery,
            type: Type.Optional(StringEnum(CERTIFICATE_TYPES)),
            expired: Type.Optional(Type.Boolean({ description: 'only expired ones' })),
            soon_to_expiry: Type.Optional(Type.Integer({ minimum: 0, maximum: 36500, description: 'only those expiring within this many days' })),
          }),
          response: { 200: PageOf(CertificateSchema), ...errorResponses },
        },
      },
      async (request) => {
        const { limit, cursor, type, expired, soon_to_expiry } = request.query;
        return certificates.list({ ...(type ? { type } : {}), ...(expired ? { expired } : {}), ...(soon_to_expiry !== undefined ? { soonToExpiryDays: soon_to_expiry } : {}) }, { limit, cursor });
      },
    );

    app.get(
      '/certificates/:id',
      { config: { roles: ANY_ROLE }, schema: { tags: ['certificates'], summary: 'Show a certificate, with its PEM', params: Params, response: { 200: CertificateDetailSchema, ...errorResponses } } },
      async (request) => certificates.show(request.params.id),
    );

    app.post(
      '/certificates',
      {
        config: { roles: ADMINS },
        schema: {
          tags: ['certificates'],
          summary: "Install an operator's certificate: the API server certificate (platform, with its key; live, no restart) or a trusted CA bundle (ssl-ca)",
          description: 'A malformed or wrong-type certificate or key is refused naming the field and the reason; the running certificate stays.',
          body: Type.Object(
            {
              type: StringEnum(INSTALLABLE_TYPES),
              certificate: Type.String({ minLength: 1, maxLength: 262_144, description: 'PEM: the certificate, then its chain (platform); CA certificates (ssl-ca)' }),
              key: Type.Optional(Type.String({ maxLength: 65_536, description: 'PEM private key (platform only)' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ items: Type.Array(CertificateDetailSchema) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        request.auditTarget = request.body.type;
        return reply.status(201).send({ items: await certificates.install(request.body) });
      },
    );

    app.post(
      '/certificates/:id/renew',
      {
        config: { roles: ADMINS },
        schema: { tags: ['certificates'], summary: 'Renew a certificate Starling issued and holds here (the API server certificate), now', params: Params, response: { 200: CertificateDetailSchema, ...errorResponses } },
      },
      async (request) => certificates.renew(request.params.id),
    );
  };
