/**
 * Authentication, role checks and the security audit log, for every route.
 *
 * Every route under /api/v1 must declare `config.roles` (the roles allowed)
 * or `config.public: true`; registering one that declares neither fails at
 * start-up. Authentication happens in onRequest, before the body is parsed,
 * so an anonymous caller learns nothing from validation errors.
 *
 * Every mutating request (POST, PUT, PATCH, DELETE) under /api is written to
 * the audit log before its response is sent (request-audit.ts): who, role,
 * source address, method, route, target id, status, outcome. Never the body.
 *
 * Path parameters and query values may not hold NUL: PostgreSQL refuses it
 * in text, so it used to reach the database as a 500.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { InputError, NotAllowedError } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { Schema } from '../db/schema.js';
import type { AuthService, Principal } from '../resources/auth/auth.service.js';
import type { CallerRole } from '../resources/users/roles.js';
import { requireClientCertificate } from './client-certificate.js';
import { installRequestAudit } from './request-audit.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed to call the route. */
    roles?: readonly CallerRole[];
    /** No authentication (login, health, docs). */
    public?: boolean;
    /**
     * false: an accepted request is not written to the audit log. Only for
     * machine telemetry (agent reports, every few seconds per host), which is
     * recorded in the host's status instead; its refusals are audited, and
     * everything an operator does is.
     */
    audit?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface DeclaredRoute {
  method: string;
  url: string;
  roles: readonly CallerRole[] | 'public';
}

export interface SecurityDeps {
  auth: AuthService;
  db: Kysely<Schema>;
  clock: Clock;
  log: Logger;
  /**
   * Mutual TLS: agents and subclouds must also present the client
   * certificate issued to them by the CA with this fingerprint. Absent on a
   * plain-HTTP controller (--insecure-http) and for in-process tests.
   */
  clientCertificates?: { issuerFingerprints(): readonly string[] };
}

const MACHINE_CREDENTIALS = new Set<Principal['via']>(['agent-credential', 'subcloud-credential']);

/** Installs the hooks; returns the list of declared routes (for tests and docs). */
export function installSecurity(app: FastifyInstance, deps: SecurityDeps): DeclaredRoute[] {
  const declared: DeclaredRoute[] = [];
  app.decorateRequest('principal', null);
  installRequestAudit(app, deps);

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1')) return;
    const config = route.config as { roles?: readonly CallerRole[]; public?: boolean } | undefined;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((m) => m === 'HEAD')) return;
    if (!config?.public && !config?.roles?.length) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no roles (config.roles or config.public)`);
    }
    const roles = config.public ? 'public' : config.roles!;
    for (const method of methods) declared.push({ method, url: route.url, roles });
    // Say it in the OpenAPI document too.
    const schema = (route.schema ??= {}) as { description?: string; security?: unknown[] };
    schema.security = roles === 'public' ? [] : [{ bearer: [] }];
    const note = roles === 'public' ? 'No authentication.' : `Roles: ${roles.join(', ')}.`;
    schema.description = schema.description ? `${schema.description}\n\n${note}` : note;
  });

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config.public || !config.roles) return;
    const principal = await deps.auth.authenticate(request.headers.authorization);
    request.principal = principal;
    if (deps.clientCertificates && MACHINE_CREDENTIALS.has(principal.via)) requireClientCertificate(request, principal.name, deps.clientCertificates.issuerFingerprints());
    if (!config.roles.includes(principal.role)) {
      throw new NotAllowedError(`role ${principal.role} may not ${request.method} ${request.routeOptions.url}; allowed: ${config.roles.join(', ')}`);
    }
  });

  app.addHook('preValidation', async (request) => {
    refuseNul(request.params, 'path parameter');
    refuseNul(request.query, 'query');
  });

  return declared;
}

function refuseNul(values: unknown, where: string): void {
  if (!values || typeof values !== 'object') return;
  for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((t) => typeof t === 'string' && t.includes('\0'))) throw new InputError(`${name}: the ${where} holds a NUL byte`, name);
  }
}
