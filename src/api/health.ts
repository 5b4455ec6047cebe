/** Liveness and readiness, for process supervisors and load balancers. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Database } from '../db/database.js';

/** Said by /readyz while the controller serves plain HTTP (--insecure-http). */
export const PLAIN_HTTP_WARNING = 'plain HTTP (--insecure-http): nothing is encrypted here, and agents and subclouds authenticate by bearer credential alone; run only behind a TLS-terminating proxy';

export function installHealth(app: FastifyInstance, database: Database, options: { tls: boolean }): void {
  app.get('/healthz', { config: { public: true }, schema: { tags: ['health'], summary: 'The process is alive' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true }, schema: { tags: ['health'], summary: 'The database answers; ready for traffic' } }, async (request, reply) => {
    try {
      await sql`select 1`.execute(database.db);
      return { status: 'ready', database: database.dialect, tls: options.tls, ...(options.tls ? {} : { warning: PLAIN_HTTP_WARNING }) };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'unavailable', reason: 'database not reachable' });
    }
  });
}
