/**
 * Runs store tests on both backends. Each test gets a freshly migrated
 * database: a temporary SQLite file, or a private PostgreSQL schema on the
 * server at STARLING_TEST_DATABASE_URL (default: the local server).
 *
 * When PostgreSQL is unreachable its tests are SKIPPED, and say so loudly;
 * under CI (CI=true) or STARLING_REQUIRE_POSTGRES=1 they FAIL instead,
 * because CI must run them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { openDatabase, type Database, type Dialect } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export const TEST_PG_URL = process.env.STARLING_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const requirePostgres = process.env.CI === 'true' || process.env.STARLING_REQUIRE_POSTGRES === '1';

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const pgProblem = await probePostgres();

/**
 * STARLING_TEST_BACKENDS=sqlite: only the SQLite half of each store suite.
 * .ci/run's second Node line runs so (its differences are the runtime's:
 * TLS, HTTP, the native SQLite binding), the backend matrix runs in full on
 * the default node, and CI stays inside its time.
 */
const backends = new Set((process.env.STARLING_TEST_BACKENDS ?? 'sqlite,postgres').split(',').map((b) => b.trim()));
if (pgProblem && !requirePostgres) {
  process.stderr.write(
    `\n!!! PostgreSQL is unreachable at ${TEST_PG_URL} (${pgProblem}).\n` +
      `!!! Every PostgreSQL store test in this file is SKIPPED. Set STARLING_TEST_DATABASE_URL to run them.\n\n`,
  );
}

export interface TestDatabase extends Database {
  /** Removes the database (schema or file). */
  dispose(): Promise<void>;
}

let counter = 0;
/** Advisory lock key under which test schemas are created, migrated and dropped (any constant, used only here). */
const SCHEMA_LOCK = 0x5354_5343;

export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'starling-test-'));
    const database = openDatabase({ sqlitePath: join(dir, 'starling.db') });
    await migrateToLatest(database);
    return {
      ...database,
      dispose: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  // Test files run two at a time, each with its own schemas on one server. Kysely's migrator looks for its
  // tables in every schema (pg_catalog), and that read fails when another process drops a schema under it
  // ("column ... does not exist"): creating-and-migrating and dropping take turns under one advisory lock.
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  const database = openDatabase({ databaseUrl: TEST_PG_URL, pgSchema: schema });
  try {
    await admin.query('select pg_advisory_lock($1)', [SCHEMA_LOCK]);
    await admin.query(`create schema ${schema}`);
    await migrateToLatest(database);
  } finally {
    await admin.query('select pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch(() => undefined);
    await admin.end();
  }
  return {
    ...database,
    dispose: async () => {
      await database.close();
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query('select pg_advisory_lock($1)', [SCHEMA_LOCK]);
        await c.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Runs `work` holding the lock test schemas are created and dropped under:
 * for a test that makes and migrates a PostgreSQL schema of its own (a
 * restore), which another file's drop would otherwise break.
 */
export async function withSchemaLock<T>(work: () => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    await c.query('select pg_advisory_lock($1)', [SCHEMA_LOCK]);
    return await work();
  } finally {
    await c.query('select pg_advisory_unlock($1)', [SCHEMA_LOCK]).catch(() => undefined);
    await c.end();
  }
}

export interface BackendContext {
  /** The database for the running test; fresh for each test. */
  database: TestDatabase;
}

/**
 * `describe` once per backend; `ctx.database` is fresh and migrated in every
 * test. The suite names carry the backend so a failure says which.
 */
export function describeEachBackend(title: string, body: (ctx: BackendContext, dialect: Dialect) => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    if (!backends.has(dialect)) {
      describe(`${title} [${dialect}]`, { skip: `SKIPPED: STARLING_TEST_BACKENDS=${[...backends].join(',')}` }, () => {
        body({} as BackendContext, dialect);
      });
      continue;
    }
    if (dialect === 'postgres' && pgProblem) {
      if (requirePostgres) {
        describe(`${title} [postgres]`, () => {
          test('PostgreSQL is reachable (required under CI)', () => {
            throw new Error(`PostgreSQL unreachable at ${TEST_PG_URL}: ${pgProblem}`);
          });
        });
      } else {
        describe(`${title} [postgres]`, { skip: `SKIPPED: PostgreSQL unreachable at ${TEST_PG_URL}` }, () => {
          body({} as BackendContext, dialect);
        });
      }
      continue;
    }
    describe(`${title} [${dialect}]`, () => {
      const ctx = {} as BackendContext;
      beforeEach(async () => {
        ctx.database = await createTestDatabase(dialect);
      });
      afterEach(async () => {
        await ctx.database.dispose();
      });
      body(ctx, dialect);
    });
  }
}
