/**
 * Authentication, role checks and the security audit log, for every route.
 *
 * Every route under /api/v1 must declare `config.roles` (the roles allowed)
 * or `config.public: true`; registering one that declares neither fails at
 * start-up. Authentication happens in onRequest, before the body is parsed,
 * so an anonymous caller learns nothing from validation errors.
 *
 * Every mutating request (POST, PUT, PATCH, DELETE) under /api is written to
 * the audit log before its response is sent: who, role, source address,
 * method, route, target id, status, outcome. Never the body.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { NotAllowedError } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { Schema } from '../db/schema.js';
import { recordAudit } from '../resources/audit/audit.store.js';
import type { AuthService, Principal } from '../resources/auth/auth.service.js';
import type { CallerRole } from '../resources/users/roles.js';
import { requireClientCertificate } from './client-certificate.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed to call the route. */
    roles?: readonly CallerRole[];
    /** No authentication (login, health, docs). */
    public?: boolean;
    /**
     * false: not written to the audit log. Only for machine telemetry (agent
     * reports, every few seconds per host), which is recorded in the host's
     * status instead; everything an operator does is audited.
     */
    audit?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Set by handlers whose target is not a path parameter (the user name being created ...). */
    auditTarget: string | null;
    /** For login: the user name tried, since nobody is authenticated yet. */
    auditUser: string | null;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const TARGET_PARAMS = ['uuid', 'name', 'id', 'alarm_id', 'hostname', 'subcloud', 'group', 'release_id', 'key_id', 'strategy'];

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
  app.decorateRequest('auditTarget', null);
  app.decorateRequest('auditUser', null);

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

  app.addHook('onSend', async (request, reply, payload) => {
    if (MUTATING.has(request.method) && request.url.startsWith('/api/') && request.routeOptions.config.audit !== false) await audit(request, reply.statusCode, deps);
    return payload;
  });

  return declared;
}

function targetOf(request: FastifyRequest): string | null {
  if (request.auditTarget) return request.auditTarget;
  const params = (request.params ?? {}) as Record<string, unknown>;
  for (const key of TARGET_PARAMS) if (typeof params[key] === 'string') return (params[key] as string).slice(0, 255);
  return null;
}

async function audit(request: FastifyRequest, status: number, deps: SecurityDeps): Promise<void> {
  const outcome = status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure';
  try {
    await recordAudit(deps.db, {
      at: deps.clock.now(),
      user_name: request.principal?.name ?? request.auditUser?.slice(0, 64) ?? null,
      role: request.principal?.role ?? null,
      source: request.ip,
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0]!.slice(0, 255),
      target_id: targetOf(request),
      status,
      outcome,
    });
  } catch (err) {
    // The response is already decided; a lost audit row must at least be loud.
    deps.log.error({ err, method: request.method, route: request.routeOptions.url }, 'audit log write failed');
  }
}
