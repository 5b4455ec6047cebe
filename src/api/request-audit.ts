/**
 * The security audit log's hook: one row for every mutating request under
 * /api, accepted, denied or failed, whatever the client does.
 *
 * What the row needs is taken when the request arrives, not when the
 * response goes out: a client that hangs up right after sending (or a
 * handler that stops reading a refused upload) leaves a destroyed socket
 * without a peer address, and the row used to fail its NOT NULL. The row
 * is written in onSend, before the response leaves, so a hang-up cannot
 * undo it; `audited` makes it exactly one even when a hook fails after it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logging.js';
import type { Schema } from '../db/schema.js';
import { recordAudit } from '../resources/audit/audit.store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by handlers whose target is not a path parameter (the user name being created ...). */
    auditTarget: string | null;
    /** For login: the user name tried, since nobody is authenticated yet. */
    auditUser: string | null;
    /** The client's address as it was when the request arrived. */
    auditSource: string;
    /** The row was written (or its write was attempted): never a second one. */
    audited: boolean;
    /** The request reached its handler (so a response, and onSend, will follow). */
    handlerStarted: boolean;
  }
}

/** nginx's status for a request whose client went away before it was answered. */
const CLIENT_CLOSED = 499;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const TARGET_PARAMS = ['uuid', 'name', 'id', 'alarm_id', 'hostname', 'subcloud', 'group', 'release_id', 'key_id', 'strategy'];

export interface AuditDeps {
  db: Kysely<Schema>;
  clock: Clock;
  log: Logger;
}

/**
 * The request's path without query, also for an absolute-form target
 * (`POST http://host/api/v1/users HTTP/1.1`), which the router accepts but
 * whose raw URL does not start with /api.
 */
export function pathOf(rawUrl: string): string {
  const path = rawUrl.split('?')[0]!;
  if (path.startsWith('/')) return path;
  try {
    return new URL(path).pathname;
  } catch {
    return path;
  }
}

/** PostgreSQL refuses NUL in text; an attacker's bytes must not cost the row. */
const clean = (s: string, max: number) => s.replace(/\0/g, '\uFFFD').slice(0, max);

/** The matched route's pattern, or the path for a request no route matched. */
const routeOf = (request: FastifyRequest) => request.routeOptions.url ?? pathOf(request.url);

/** Whether this request gets a row: mutating, under /api, and not accepted telemetry. */
function audits(request: FastifyRequest, route: string, status: number): boolean {
  if (!MUTATING.has(request.method) || !route.startsWith('/api/')) return false;
  // Telemetry (agent and subcloud reports) is recorded in the reporter's status; its refusals are not telemetry.
  return request.routeOptions.config?.audit !== false || status >= 400;
}

function targetOf(request: FastifyRequest): string | null {
  if (request.auditTarget) return clean(request.auditTarget, 255);
  const params = (request.params ?? {}) as Record<string, unknown>;
  for (const key of TARGET_PARAMS) if (typeof params[key] === 'string') return clean(params[key] as string, 255);
  return null;
}

/** Writes the request's row unless it has one already. Also for responses sent outside the hooks (framework errors). */
export async function auditRequest(request: FastifyRequest, status: number, deps: AuditDeps): Promise<void> {
  if (request.audited) return;
  const route = routeOf(request);
  if (!audits(request, route, status)) return;
  request.audited = true;
  const outcome = status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure';
  try {
    await recordAudit(deps.db, {
      at: deps.clock.now(),
      user_name: request.principal?.name ?? (request.auditUser ? clean(request.auditUser, 64) : null),
      role: request.principal?.role ?? null,
      source: request.auditSource || sourceOf(request),
      method: request.method,
      route: clean(route, 255),
      target_id: targetOf(request),
      status,
      outcome,
    });
  } catch (err) {
    // The response is already decided; a lost audit row must at least be loud.
    deps.log.error({ err, method: request.method, route }, 'audit log write failed');
  }
}

/** The client's address, or `unknown` once its socket is gone (never null: the column is NOT NULL). */
export function sourceOf(request: FastifyRequest): string {
  return request.ip || request.socket?.remoteAddress || 'unknown';
}

const hooksOf = <T>(hooks: T | T[] | undefined): T[] => (hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]);

function markHandlerStarted(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  request.handlerStarted = true;
  done();
}

/**
 * A client that hangs up while its body is still unread: the body can never
 * arrive, so the request never reaches its handler or sends a response (it
 * changed nothing). Its row is written now, as 499 (client closed request).
 */
async function auditHangUp(request: FastifyRequest, deps: AuditDeps): Promise<void> {
  const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (!request.handlerStarted && hasBody && request.body === undefined) await auditRequest(request, CLIENT_CLOSED, deps);
}

export function installRequestAudit(app: FastifyInstance, deps: AuditDeps): void {
  app.decorateRequest('auditTarget', null);
  app.decorateRequest('auditUser', null);
  app.decorateRequest('auditSource', '');
  app.decorateRequest('audited', false);
  app.decorateRequest('handlerStarted', false);
  // First of all hooks: the address is read while the socket is surely there.
  app.addHook('onRequest', (request, _reply, done) => {
    if (MUTATING.has(request.method)) request.auditSource = sourceOf(request);
    done();
  });
  // Only mutating routes carry the hang-up hooks: a GET pays nothing (onRequestAbort adds a close listener per request).
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => MUTATING.has(m))) return;
    route.preHandler = [...hooksOf(route.preHandler), markHandlerStarted];
    route.onRequestAbort = [...hooksOf(route.onRequestAbort), (request, done) => void auditHangUp(request, deps).finally(done)];
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!MUTATING.has(request.method)) return done(null, payload);
    void auditRequest(request, reply.statusCode, deps).then(() => done(null, payload));
  });
}
