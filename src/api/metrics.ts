/**
 * Prometheus metrics (prom-client), one registry per server so that tests
 * can build several in one process. Request timings by route and database
 * timings by query kind.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { bearerToken } from '../core/bearer.js';
import { UnauthenticatedError } from '../core/errors.js';

export interface Metrics {
  registry: Registry;
  /** Time to handle an agent report, without the long-poll hold. */
  observeReport(durationMs: number): void;
  /** Pass to openDatabase's onQuery. */
  observeQuery(kind: string, durationMs: number, failed: boolean): void;
  faultChanges: Counter<'state'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'starling_' });
  const db = new Histogram({
    name: 'starling_db_query_duration_seconds',
    help: 'Database query time by query kind',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const faultChanges = new Counter({
    name: 'starling_fault_events_total',
    help: 'Event log rows written, by alarm_state (set, clear, log, msg)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const reports = new Histogram({
    name: 'starling_agent_report_handling_seconds',
    help: 'Time to handle a host agent report (transaction and reply), excluding the long-poll hold',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  return {
    registry,
    faultChanges,
    observeReport: (ms) => reports.observe(ms / 1000),
    observeQuery: (kind, ms, failed) => db.observe({ kind, outcome: failed ? 'error' : 'ok' }, ms / 1000),
  };
}

/**
 * Connections accepted and TLS handshakes completed (full or resumed): what
 * a fleet reconnecting at once costs the listener, and what TLS adds.
 */
export function installConnectionMetrics(app: FastifyInstance, metrics: Metrics, tls: boolean): void {
  const connections = new Counter({ name: 'starling_connections_total', help: 'TCP connections accepted by the API listener', registers: [metrics.registry] });
  app.server.on('connection', () => connections.inc());
  if (!tls) return;
  const handshakes = new Counter({
    name: 'starling_tls_handshakes_total',
    help: 'TLS handshakes completed by the API listener, by whether the session was resumed',
    labelNames: ['resumed'] as const,
    registers: [metrics.registry],
  });
  app.server.on('secureConnection', (socket: TLSSocket) => handshakes.inc({ resumed: socket.isSessionReused() ? 'true' : 'false' }));
}

/** Counts connections closed on arrival for being over the per-address cap (connection-guard.ts). */
export function connectionRefusedCounter(metrics: Metrics): () => void {
  const refused = new Counter({ name: 'starling_connections_refused_total', help: 'Connections closed on arrival: over the per-address limit', registers: [metrics.registry] });
  return () => refused.inc();
}

/**
 * `/metrics` is open by default, as Prometheus expects; with `token` (the
 * `metricsToken` setting) a scrape must send `Authorization: Bearer <token>`,
 * compared in constant time.
 */
export function installRequestMetrics(app: FastifyInstance, metrics: Metrics, token?: string): void {
  const http = new Histogram({
    name: 'starling_http_request_duration_seconds',
    help: 'HTTP request time by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // Route patterns, never raw URLs: bounded label cardinality.
    http.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  const expected = token === undefined ? undefined : createHash('sha256').update(token).digest();
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    if (expected) {
      const sent = bearerToken(request.headers.authorization);
      // Hashed first so the comparison takes the same time whatever the length sent.
      if (sent === undefined || !timingSafeEqual(createHash('sha256').update(sent).digest(), expected)) {
        throw new UnauthenticatedError('/metrics needs "Authorization: Bearer <metrics token>" (the metricsToken setting)');
      }
    }
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

/** The host heartbeat's datagrams, read from the receiver's own counts at scrape time (nothing is done per pulse). */
export function installPulseMetrics(metrics: Metrics, counts: () => { accepted: number; refused: number; bytes: number }): void {
  // Counters whose value is read at scrape time: reset, then set to the receiver's count.
  new Counter({
    name: 'starling_host_pulses_total',
    help: 'Host heartbeat datagrams received since start, by result (accepted; refused: not a pulse, unknown session, forged or replayed)',
    labelNames: ['result'] as const,
    registers: [metrics.registry],
    collect() {
      const c = counts();
      this.reset();
      this.inc({ result: 'accepted' }, c.accepted);
      this.inc({ result: 'refused' }, c.refused);
    },
  });
  new Counter({
    name: 'starling_host_pulse_bytes_total',
    help: 'Host heartbeat UDP payload bytes received since start',
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(counts().bytes);
    },
  });
}
