/**
 * Starts a real controller (the compiled dist/ build, as `starling serve`
 * runs it) on a throw-away database: a temp-dir SQLite file, or a fresh
 * PostgreSQL schema. Every resource made is registered for cleanup first, so
 * an error or Ctrl-C part-way still leaves nothing behind.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'kysely';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import type * as ConfigModule from '../../src/core/server-config.js';
import type * as LoggingModule from '../../src/core/logging.js';
import type * as StartModule from '../../src/server/start.js';
import { Client } from './http.js';

export const PG_URL = process.env.STARLING_BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_PASSWORD = 'bench-admin-password';

// Runtime from dist/ (what `npm run bench:fm` just built), types from src/.
const fromDist = async <T>(path: string): Promise<T> => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
const { loadServerConfig } = await fromDist<typeof ConfigModule>('core/server-config.js');
const { createLogger } = await fromDist<typeof LoggingModule>('core/logging.js');
const { startController } = await fromDist<typeof StartModule>('server/start.js');

/** Undo steps, run last-in first-out by `runCleanups`. */
const cleanups: Array<{ what: string; run: () => Promise<void> | void }> = [];

export async function runCleanups(): Promise<void> {
  while (cleanups.length) {
    const step = cleanups.pop()!;
    try {
      await step.run();
    } catch (err) {
      console.error(`cleanup "${step.what}" failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  }
}

export interface Backend {
  name: 'SQLite' | 'PostgreSQL';
  /** Engine version and where the data lives. */
  detail: string;
  controller: StartModule.RunningController;
  client: Client;
  /** Event-log prunes the server logged, with the phase they landed in: they stall the event loop. */
  prunes: Array<{ phase: string; removed: number }>;
  /** Names the phase now running; ends the previous one's event-loop stall measurement. */
  setPhase(label: string): void;
  /** Longest event-loop stall seen in a phase, ms (the server shares this process's loop). */
  stallMs(label: string): number;
  close(): Promise<void>;
}

async function pgQuery(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

export async function startBackend(kind: 'sqlite' | 'postgres'): Promise<Backend> {
  let dataDir: string;
  let databaseUrl: string | undefined;
  let schema = '';
  if (kind === 'sqlite') {
    dataDir = mkdtempSync(join(tmpdir(), 'starling-bench-'));
    cleanups.push({ what: `remove ${dataDir}`, run: () => rmSync(dataDir, { recursive: true, force: true }) });
  } else {
    // The controller never sees a data folder with PostgreSQL, but the config requires one.
    dataDir = tmpdir();
    schema = `bench_${process.pid}_${Date.now().toString(36)}`;
    await pgQuery(PG_URL, `create schema ${schema}`);
    cleanups.push({ what: `drop schema ${schema}`, run: async () => void (await pgQuery(PG_URL, `drop schema if exists ${schema} cascade`)) });
    // The server takes only a URL, so the schema travels in it as a libpq startup option.
    databaseUrl = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const shown = (await pgQuery(databaseUrl, 'show search_path')).rows[0]?.search_path;
    if (shown !== schema) throw new Error(`pg ignored ?options= in the URL: search_path is ${shown}, wanted ${schema}`);
  }

  const phase = { label: 'start-up' };
  const prunes: Backend['prunes'] = [];
  const stalls = new Map<string, number>();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  cleanups.push({ what: 'stop the event-loop monitor', run: () => void loop.disable() });
  const setPhase = (label: string) => {
    stalls.set(phase.label, Math.max(stalls.get(phase.label) ?? 0, loop.max / 1e6));
    loop.reset();
    phase.label = label;
  };
  // Info level only to catch "pruned event log"; request logging is off in the app, so this is quiet.
  const sink: DestinationStream = {
    write(line: string) {
      let entry: { level: number; msg: string; removed?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return void process.stderr.write(`[server] ${line}`);
      }
      if (entry.msg === 'pruned event log') prunes.push({ phase: phase.label, removed: entry.removed ?? 0 });
      if (entry.level >= 40) process.stderr.write(`[server] ${line}`);
    },
  };
  const config = loadServerConfig({
    env: {},
    flags: { port: 0, host: '127.0.0.1', dataDir, databaseUrl, adminPassword: ADMIN_PASSWORD, logLevel: 'warn' },
  });
  const controller = await startController(config, { log: createLogger({ level: 'info', destination: sink }) });
  cleanups.push({ what: `stop the ${kind} controller`, run: () => controller.close() });

  let detail: string;
  if (kind === 'sqlite') {
    const { rows } = await sql<{ v: string }>`select sqlite_version() as v`.execute(controller.database.db);
    detail = `SQLite ${rows[0]?.v} (WAL), ${join(dataDir, 'starling.db')}`;
  } else {
    // Proves the tables landed in our schema rather than wherever search_path defaulted.
    const tables = await pgQuery(PG_URL, `select 1 from information_schema.tables where table_schema = '${schema}' and table_name = 'alarms'`);
    if (tables.rowCount !== 1) throw new Error(`the controller did not create its tables in schema ${schema}`);
    const { rows } = await sql<{ name: string; setting: string }>`select name, setting from pg_settings
      where name in ('server_version', 'autovacuum', 'synchronous_commit', 'shared_buffers') order by name`.execute(controller.database.db);
    const settings = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
    detail =
      `PostgreSQL ${settings.server_version}, schema ${schema} (via ?options=-c search_path), ${new URL(PG_URL).host}; ` +
      // autovacuum off means no automatic ANALYZE: the planner works on guesses for these fresh tables.
      `autovacuum=${settings.autovacuum}, synchronous_commit=${settings.synchronous_commit}, shared_buffers=${settings.shared_buffers} x 8kB`;
  }

  const client = new Client(controller.url, 4, controller.trust ? readFileSync(controller.trust.caFile, 'utf8') : undefined);
  cleanups.push({ what: 'close the HTTP client', run: () => client.close() });
  await client.login('admin', ADMIN_PASSWORD);

  return {
    name: kind === 'sqlite' ? 'SQLite' : 'PostgreSQL',
    detail,
    controller,
    client,
    prunes,
    setPhase,
    stallMs: (label) => (label === phase.label ? loop.max / 1e6 : (stalls.get(label) ?? 0)),
    // Everything this backend registered is on top of the stack.
    close: runCleanups,
  };
}
