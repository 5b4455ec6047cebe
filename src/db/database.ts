/**
 * Opens the database: SQLite (better-sqlite3, WAL) in the data folder by
 * default, PostgreSQL when a URL is given. Everything above this file sees
 * only `Kysely<Schema>` and the dialect name for the few places that differ.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { durations } from '../core/durations.js';
import { PreparingClient } from './pg-prepared.js';
import type { Schema } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  db: Kysely<Schema>;
  dialect: Dialect;
  /** For logs: the file path or the server, never a password. */
  description: string;
  /** SQLite only: copies the live database to `path` with SQLite's online backup API (readers and writers carry on meanwhile). */
  sqliteBackup?: (path: string) => Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL URL; when absent, SQLite at `<dataDir>/starling.db`. */
  databaseUrl?: string;
  dataDir?: string;
  /** SQLite file path override (tests); ':memory:' works too. */
  sqlitePath?: string;
  /** PostgreSQL schema to use (tests isolate themselves this way). */
  pgSchema?: string;
  /** Called after every query with its kind and duration, for metrics. */
  onQuery?: (kind: string, durationMs: number, failed: boolean) => void;
}

// int8 (count(*), bigint epoch ms) arrives from pg as a string by default;
// every value we store fits a double exactly, so parse it as a number.
const INT8_OID = 20;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

function queryLogger(onQuery: OpenOptions['onQuery']) {
  if (!onQuery) return undefined;
  return (event: LogEvent): void => {
    const kind = event.query.query.kind.replace(/QueryNode$/, '').toLowerCase() || 'raw';
    onQuery(kind, event.queryDurationMillis, event.level === 'error');
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** Prepared statements kept per connection; past this the least recently used are dropped. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew; preparing was 24 % of the
 * controller's CPU under 2,000 agents (bench/site). Queries repeat (the same
 * text, other parameters), so keep their prepared statements. Safe because
 * better-sqlite3 runs one statement at a time on one connection.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return new Proxy(sqlite, {
    get(target, key) {
      if (key !== 'prepare') {
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (source: string) => {
        let statement = cache.get(source);
        if (statement) {
          cache.delete(source); // re-inserted below: most recently used last
        } else {
          statement = target.prepare(source);
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        }
        cache.set(source, statement);
        return statement;
      };
    },
  });
}

export function openDatabase(options: OpenOptions): Database {
  const log = queryLogger(options.onQuery);
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      // A schema given on its own wins over one in the URL's options (pg lets the URL's override the config's).
      connectionString: options.pgSchema ? withoutUrlOptions(options.databaseUrl) : options.databaseUrl,
      connectionTimeoutMillis: durations.databaseConnectTimeoutMs,
      // pg's default of 10 capped a system controller at ~400 report
      // transactions/s (each holds a connection for several round trips);
      // 10,000 subclouds at one report per 20 s need 500/s plus bursts.
      max: 24,
      types: pgTypes,
      Client: PreparingClient,
      ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
    });
    const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    return {
      db,
      dialect: 'postgres',
      description: redactUrl(options.databaseUrl) + (options.pgSchema ? ` (schema ${options.pgSchema})` : ''),
      close: () => db.destroy(),
    };
  }

  let path = options.sqlitePath;
  if (!path) {
    if (!options.dataDir) throw new Error('openDatabase needs a dataDir, sqlitePath or databaseUrl');
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    path = join(options.dataDir, 'starling.db');
  }
  const sqlite = new BetterSqlite3(path);
  // WAL + NORMAL: durable across process crashes, one fsync per checkpoint
  // rather than per commit (30x faster single upserts, see tooling notes).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), ...(log ? { log } : {}) });
  return { db, dialect: 'sqlite', description: path, sqliteBackup: async (to) => void (await sqlite.backup(to)), close: () => db.destroy() };
}

/** The URL without its `options` parameter (where a search_path would be set). */
function withoutUrlOptions(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('options')) return url;
  parsed.searchParams.delete('options');
  return parsed.toString();
}
