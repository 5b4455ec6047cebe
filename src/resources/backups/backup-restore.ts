/**
 * Restores a platform backup onto a stopped (or new) controller's data
 * folder and database, SQLite or PostgreSQL whichever the backup came from.
 *
 * It stages, verifies, then switches:
 * 1. the archive is extracted to a staging folder beside the data, every
 *    part checked against the manifest and the secrets opened with the
 *    passphrase; any fault is refused here, with nothing touched;
 * 2. a new database is built aside (SQLite: a file in staging; PostgreSQL: a
 *    schema of its own), migrated to the backup's level, loaded, migrated
 *    to this version's latest;
 * 3. release blobs move into the blob store (content-addressed: adding them
 *    changes nothing the old database points at);
 * 4. the switch: one rename of the SQLite file, or one transaction renaming
 *    the PostgreSQL schemas. A kill -9 before it leaves the old state, after
 *    it the new one; both start.
 *
 * The new database carries 210.002 (restore-alarm.ts) until an operator runs
 * `starling system restore-complete`.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openDatabase, type Database } from '../../db/database.js';
import { knownMigrations, migrateDatabase } from '../../db/migrate.js';
import { chunk } from '../../db/chunks.js';
import type { Row } from '../../db/snapshot.js';
import { ArchiveError, extractArchive, manifestDigest, type Manifest } from './backup-archive.js';
import { openSecrets, PassphraseError } from './backup-crypto.js';
import { secretSettingRows, withSecrets, type Secrets } from './backup-secrets.js';
import { raiseRestoreAlarm } from './restore-alarm.js';

export interface RestoreOptions {
  archive: string;
  dataDir: string;
  /** PostgreSQL target; SQLite in the data folder when absent. */
  databaseUrl?: string;
  /** PostgreSQL schema (tests); the URL's default schema otherwise. */
  pgSchema?: string;
  passphrase?: string;
  /** Progress lines for the operator. */
  progress?: (line: string) => void;
}

export interface RestoreResult {
  manifest: Manifest;
  rows: number;
  blobs: number;
  target: string;
}

/** A restore refused before anything changed; the message says why. */
export class RestoreRefused extends Error {}

const STAGING_PREFIX = '.restore-';
const SCHEMA_PREFIX = 'starling_restore_';

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const say = options.progress ?? (() => undefined);
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  await dropLeftovers(options.dataDir);
  const staging = join(options.dataDir, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  try {
    say(`verifying ${options.archive}`);
    let extracted: Awaited<ReturnType<typeof extractArchive>>;
    try {
      extracted = await extractArchive(options.archive, staging);
    } catch (err) {
      if (err instanceof ArchiveError) throw new RestoreRefused(`${options.archive}: ${err.message}; nothing was changed`);
      throw err;
    }
    const { manifest, sealed } = extracted;
    if (manifest.secrets !== 'sealed' || !sealed) {
      throw new RestoreRefused(`${manifest.name} was made without a passphrase, so the CAs' private keys and the session-signing key are not in it: the restored controller could not be the same system. Restore a backup made with --passphrase-file; nothing was changed`);
    }
    if (!options.passphrase) throw new RestoreRefused(`${manifest.name} holds sealed secrets: give its passphrase with --passphrase-file; nothing was changed`);
    let secrets: Secrets;
    try {
      secrets = openSecrets<Secrets>(sealed, options.passphrase, manifestDigest(manifest));
    } catch (err) {
      if (err instanceof PassphraseError) throw new RestoreRefused(`${manifest.name}: ${err.message}; nothing was changed`);
      throw err;
    }
    checkMigrations(manifest);
    say(`verified ${manifest.parts.length} parts of ${manifest.name} (system ${manifest.system.name}, ${manifest.dialect}, made ${manifest.created_at})`);

    const last = manifest.migrations.at(-1);
    const load = async (database: Database) => {
      if (last) await migrateDatabase(database, last);
      const rows = await loadRows(database, staging, manifest, secrets, say);
      await migrateDatabase(database);
      await raiseRestoreAlarm(database, manifest.system.name, manifest.name);
      return rows;
    };
    let rows: number;
    let target: string;
    if (options.databaseUrl) {
      const restored = await restorePostgres(options.databaseUrl, options.pgSchema, load);
      rows = restored.rows;
      target = restored.target;
    } else {
      const file = join(staging, 'starling.db');
      const database = openDatabase({ sqlitePath: file });
      try {
        rows = await load(database);
      } finally {
        await database.close();
      }
      target = join(options.dataDir, 'starling.db');
    }
    const blobs = await moveBlobs(staging, join(options.dataDir, 'software', 'blobs'));
    if (!options.databaseUrl) await switchSqlite(join(staging, 'starling.db'), target);
    say(`restored ${rows.toLocaleString('en-US')} rows and ${blobs} release blobs into ${target}`);
    return { manifest, rows, blobs, target };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The backup's migrations must all be known here and come in this version's order: a newer Starling's backup is refused. */
function checkMigrations(manifest: Manifest): void {
  const known = knownMigrations();
  const unknown = manifest.migrations.filter((m) => !known.includes(m));
  if (unknown.length) throw new RestoreRefused(`${manifest.name} was made by a newer Starling (${manifest.starling_version}; migration ${unknown[0]} is unknown to this version): restore it with that version or later; nothing was changed`);
  manifest.migrations.forEach((m, i) => {
    if (known[i] !== m) throw new RestoreRefused(`${manifest.name}: its migrations do not match this version's at ${m}; nothing was changed`);
  });
}

/** Loads every table's rows, parents first, in statements of up to 1,000 rows. */
async function loadRows(database: Database, staging: string, manifest: Manifest, secrets: Secrets, say: (l: string) => void): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables are loaded by name, outside the typed schema
  const db = database.db as unknown as Kysely<any>;
  let total = 0;
  for (const { name, rows } of manifest.tables) {
    // Rows a migration or first start made (the Default group, for one) give way to the backup's.
    await db.deleteFrom(name).execute();
    let loaded = 0;
    const insert = async (page: Row[]) => {
      for (const part of chunk(page, Math.max(1, Math.floor(30_000 / Math.max(1, Object.keys(page[0] ?? {}).length))))) {
        if (part.length) await db.insertInto(name).values(part).execute();
      }
      loaded += page.length;
    };
    let page: Row[] = [];
    for await (const line of createInterface({ input: createReadStream(join(staging, 'db', `${name}.ndjson`)), crlfDelay: Infinity })) {
      if (!line) continue;
      page.push(JSON.parse(line) as Row);
      if (page.length === 1000) {
        await insert(withSecrets(name, page, secrets));
        page = [];
      }
    }
    if (page.length) await insert(withSecrets(name, page, secrets));
    if (name === 'settings') await insert(secretSettingRows(secrets));
    else if (loaded !== rows) throw new Error(`${name}: loaded ${loaded} rows, the manifest says ${rows}`);
    total += loaded;
  }
  if (database.dialect === 'postgres') await resetSequences(db);
  say(`loaded ${manifest.tables.length} tables`);
  return total;
}

/** Serial columns continue after the highest id loaded (PostgreSQL's sequences do not see explicit ids). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see loadRows
async function resetSequences(db: Kysely<any>): Promise<void> {
  const serials = (
    await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and column_default like 'nextval(%'`.execute(db)
  ).rows;
  for (const s of serials) {
    await sql`select setval(pg_get_serial_sequence(${s.table_name}, ${s.column_name}), coalesce((select max(${sql.ref(s.column_name)}) from ${sql.table(s.table_name)}), 0) + 1, false)`.execute(db);
  }
}

/**
 * Builds the restored database in a schema of its own, then swaps it for
 * the target schema in one transaction (the old one is dropped after).
 */
async function restorePostgres(url: string, schema: string | undefined, load: (d: Database) => Promise<number>): Promise<{ rows: number; target: string }> {
  const admin = new pg.Client({ connectionString: url, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await admin.connect();
  try {
    // current_schema() is null while the search path's schema does not exist yet (a new database or schema):
    // the target is then the first schema the URL's search path names, never silently public.
    const current = (await admin.query<{ s: string | null }>('select current_schema() as s')).rows[0]?.s;
    const target = current ?? schema ?? firstOfSearchPath((await admin.query<{ search_path: string }>('show search_path')).rows[0]?.search_path) ?? 'public';
    for (const row of (await admin.query<{ n: string }>(`select nspname as n from pg_namespace where nspname like '${SCHEMA_PREFIX}%'`)).rows) {
      await admin.query(`drop schema ${ident(row.n)} cascade`); // left by a restore that was killed before its switch
    }
    const aside = `${SCHEMA_PREFIX}${randomBytes(6).toString('hex')}`;
    await admin.query(`create schema ${ident(aside)}`);
    let rows: number;
    const database = openDatabase({ databaseUrl: url, pgSchema: aside });
    try {
      rows = await load(database);
    } finally {
      await database.close();
    }
    const old = `${SCHEMA_PREFIX}old_${randomBytes(6).toString('hex')}`;
    await admin.query('begin');
    try {
      const exists = (await admin.query('select 1 from pg_namespace where nspname = $1', [target])).rowCount;
      if (exists) await admin.query(`alter schema ${ident(target)} rename to ${ident(old)}`);
      await admin.query(`alter schema ${ident(aside)} rename to ${ident(target)}`);
      await admin.query('commit');
    } catch (err) {
      await admin.query('rollback');
      throw err;
    }
    await admin.query(`drop schema if exists ${ident(old)} cascade`);
    return { rows, target: `PostgreSQL schema ${target}` };
  } finally {
    await admin.end();
  }
}

/** The first schema a search_path names ("$user" is skipped: it is only a pattern). */
function firstOfSearchPath(path: string | undefined): string | undefined {
  return path
    ?.split(',')
    .map((s) => s.trim().replace(/^"(.*)"$/, '$1'))
    .find((s) => s && s !== '$user');
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Moves staged blobs into the store; ones it holds already stay (same name, same content). */
async function moveBlobs(staging: string, blobsDir: string): Promise<number> {
  const from = join(staging, 'software', 'blobs');
  if (!existsSync(from)) return 0;
  await mkdir(blobsDir, { recursive: true });
  let moved = 0;
  for (const name of await readdir(from)) {
    if (!existsSync(join(blobsDir, name))) await rename(join(from, name), join(blobsDir, name));
    moved++;
  }
  return moved;
}

/**
 * Puts the restored SQLite file in place of the old one. The old file's
 * write-ahead log is checkpointed into it first and removed, so that what
 * it held cannot be replayed onto the new file.
 */
async function switchSqlite(restored: string, target: string): Promise<void> {
  if (existsSync(target)) {
    const old = new BetterSqlite3(target);
    try {
      old.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      old.close();
    }
  }
  await rm(`${target}-wal`, { force: true });
  await rm(`${target}-shm`, { force: true });
  await rename(restored, target);
}

/** Staging left by a restore that was killed. */
async function dropLeftovers(dataDir: string): Promise<void> {
  for (const name of await readdir(dataDir)) if (name.startsWith(STAGING_PREFIX)) await rm(join(dataDir, name), { recursive: true, force: true });
}
