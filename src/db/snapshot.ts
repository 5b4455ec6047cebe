/**
 * A consistent, portable copy of the database's rows: every table as plain
 * JSON rows, read from one point in time. SQLite is copied first with its
 * online backup API (the live database is never held) and the copy read at
 * leisure; PostgreSQL is read in one REPEATABLE READ, READ ONLY transaction
 * through cursors. Rows are the same on both backends (times are numbers,
 * booleans 0/1, JSON text), which is what lets a SQLite backup restore onto
 * PostgreSQL and back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';

export type Row = Record<string, unknown>;

/** Tables that are bookkeeping of this copy of the database, not the system's state. */
export const NOT_COPIED = new Set(['kysely_migration', 'kysely_migration_lock', 'backups']);

/** Rows are handed out this many at a time, so a large table never sits in memory whole. */
const PAGE_ROWS = 2000;

export interface SnapshotReader {
  /** The migrations applied to the copied database, in order. */
  migrations: string[];
  /** Tables to copy, parents before children (foreign keys). */
  tables: string[];
  rows(table: string): AsyncIterable<Row[]>;
  close(): Promise<void>;
}

/** Opens a consistent snapshot of `database`; close it when done. */
export async function openSnapshot(database: Database): Promise<SnapshotReader> {
  return database.dialect === 'sqlite' ? sqliteSnapshot(database) : postgresSnapshot(database);
}

async function sqliteSnapshot(database: Database): Promise<SnapshotReader> {
  if (!database.sqliteBackup) throw new Error('this SQLite database cannot be copied online');
  const dir = mkdtempSync(join(tmpdir(), 'starling-snapshot-'));
  const file = join(dir, 'copy.db');
  try {
    await database.sqliteBackup(file);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const copy = new BetterSqlite3(file, { readonly: true });
  const names = (copy.prepare(`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name);
  const tables = names.filter((t) => !NOT_COPIED.has(t));
  const parents = new Map(tables.map((t) => [t, (copy.prepare(`select "table" as parent from pragma_foreign_key_list(?)`).all(t) as { parent: string }[]).map((r) => r.parent)]));
  const migrations = names.includes('kysely_migration') ? (copy.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name) : [];
  return {
    migrations,
    tables: parentsFirst(tables, parents),
    async *rows(table) {
      let page: Row[] = [];
      for (const row of copy.prepare(`select * from ${quote(table)}`).iterate() as IterableIterator<Row>) {
        page.push(row);
        if (page.length === PAGE_ROWS) {
          yield page;
          page = [];
          await new Promise((r) => setImmediate(r)); // a large copy does not starve the API
        }
      }
      if (page.length) yield page;
    },
    async close() {
      copy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresSnapshot(database: Database): Promise<SnapshotReader> {
  // One connection for the whole copy: a transaction's snapshot is per connection.
  const conn = await connectionOf(database.db);
  try {
    await sql`begin isolation level repeatable read read only`.execute(conn.db);
    const names = (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(conn.db)).rows.map((r) => r.name);
    const tables = names.filter((t) => !NOT_COPIED.has(t));
    const fks = (
      await sql<{ child: string; parent: string }>`
        select c.relname as child, p.relname as parent
        from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
        where k.contype = 'f' and c.relnamespace = current_schema()::regnamespace`.execute(conn.db)
    ).rows;
    const parents = new Map(tables.map((t) => [t, fks.filter((f) => f.child === t).map((f) => f.parent)]));
    const migrations = names.includes('kysely_migration') ? (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(conn.db)).rows.map((r) => r.name) : [];
    let cursors = 0;
    return {
      migrations,
      tables: parentsFirst(tables, parents),
      async *rows(table) {
        const cursor = sql.id(`starling_copy_${++cursors}`);
        await sql`declare ${cursor} no scroll cursor for select * from ${sql.table(table)}`.execute(conn.db);
        for (;;) {
          const page = (await sql<Row>`fetch ${sql.raw(String(PAGE_ROWS))} from ${cursor}`.execute(conn.db)).rows;
          if (page.length) yield page;
          if (page.length < PAGE_ROWS) break;
        }
        await sql`close ${cursor}`.execute(conn.db);
      },
      async close() {
        await sql`rollback`.execute(conn.db).catch(() => undefined);
        conn.release();
      },
    };
  } catch (err) {
    await sql`rollback`.execute(conn.db).catch(() => undefined);
    conn.release();
    throw err;
  }
}

/**
 * Kysely hands out a connection for as long as a callback runs; the snapshot
 * needs one for as long as its reader lives, so the callback waits for release.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a raw copy reads tables by name, outside the typed schema
async function connectionOf(db: Kysely<any>): Promise<{ db: Kysely<any>; release: () => void }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  return new Promise((resolve, reject) => {
    db.connection()
      .execute(async (conn) => {
        resolve({ db: conn, release });
        await released;
      })
      .catch(reject);
  });
}

/** Orders tables so that every table comes after the tables its foreign keys point at. */
export function parentsFirst(tables: string[], parents: Map<string, string[]>): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: string) => {
    if (state.get(t) === 'done' || state.get(t) === 'visiting') return; // a cycle (self-reference) is left as found
    state.set(t, 'visiting');
    for (const p of parents.get(t) ?? []) if (p !== t && tables.includes(p)) visit(p);
    state.set(t, 'done');
    out.push(t);
  };
  for (const t of [...tables].sort()) visit(t);
  return out;
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
