/**
 * Platform backup and restore on both backends: a populated system
 * controller (users, subclouds, alarms, a release with blobs, CAs and keys)
 * is backed up through the API and restored onto SQLite and onto
 * PostgreSQL, and every table compared row by row with the original.
 * Corrupted, truncated and wrong-passphrase archives, and one made without
 * a passphrase, are refused with the target left as it was.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { restoreBackup, RestoreRefused } from '../../src/resources/backups/backup-restore.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { describeEachBackend, TEST_PG_URL, withSchemaLock } from '../helpers/backends.js';
import { makeBundle, newKeys } from '../helpers/releases.js';
import { openSnapshot, type Row } from '../../src/db/snapshot.js';

const PASSPHRASE = 'correct horse battery staple';

/** Every copied table's rows, each table sorted, for comparing two databases. */
async function tableRows(database: Parameters<typeof openSnapshot>[0]): Promise<Map<string, string[]>> {
  const snapshot = await openSnapshot(database);
  const out = new Map<string, string[]>();
  try {
    for (const table of snapshot.tables) {
      const rows: string[] = [];
      // What the backup itself made after or while its snapshot was taken: its alarm's events, its audit row.
      // and the restore's 210.002, which the restored database carries until restore-complete (checked on its own).
      for await (const page of snapshot.rows(table)) for (const r of page) if (r.alarm_id !== '210.001' && r.alarm_id !== '210.002' && !String(r.route ?? '').startsWith('/api/v1/backups')) rows.push(canonical(r));
      out.set(table, rows.sort());
    }
  } finally {
    await snapshot.close();
  }
  return out;
}

function canonical(row: Row): string {
  return JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))));
}

/** Drops a PostgreSQL schema a restore test made. */
const dropSchema = (schema: string) =>
  withSchemaLock(async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  });

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

describeEachBackend('platform backup and restore', (ctx, dialect) => {
  let api: TestApi;
  let work: string;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { https: true });
    work = await mkdtemp(join(tmpdir(), 'starling-backup-test-'));
  });
  afterEach(async () => {
    await api.close();
    await rm(work, { recursive: true, force: true });
  });

  /** Users, subclouds, alarms, a trusted key and a release with a blob: what a system controller holds. */
  const populate = async () => {
    assert.equal((await api.request('admin', 'POST', '/api/v1/users', { name: 'alice', role: 'operator', password: 'alice-password-1' })).status, 201);
    for (const name of ['rail-0001', 'rail-0002', 'forest-0001']) assert.equal((await api.request('admin', 'POST', '/api/v1/subclouds', { name })).status, 201);
    for (let i = 0; i < 25; i++) {
      const r = await api.request('admin', 'POST', '/api/v1/alarms', { alarm_id: '100.103', entity_instance_id: `host=worker-${i}`, severity: 'major', reason_text: `memory ${i}` });
      assert.equal(r.status, 201, r.text);
    }
    const keys = newKeys();
    assert.equal((await api.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem })).status, 201);
    const bundle = await makeBundle({ id: 'starling-9.1.0', files: { 'bin/app': 'version nine point one\n' } }, keys.privatePem, work);
    const up = await api.request('admin', 'POST', '/api/v1/software/releases', await readFile(bundle), { 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, up.text);
  };

  const backUp = async (body: object) => {
    const started = await api.request('admin', 'POST', '/api/v1/backups', { out_dir: join(work, 'out'), ...body });
    assert.equal(started.status, 202, started.text);
    assert.equal(started.body.state, 'in-progress');
    await api.backups.settled();
    const done = await api.request('reader', 'GET', `/api/v1/backups/${started.body.id}`);
    assert.equal(done.body.state, 'complete', done.text);
    return done.body as { id: string; name: string; path: string; size: number; sha256: string };
  };

  test('a backup restores onto SQLite and onto PostgreSQL, every table row by row the same', async () => {
    await populate();
    const backup = await backUp({ passphrase: PASSPHRASE });
    assert.match(backup.name, /^test-system_platform_backup_\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d$/);
    assert.equal(backup.sha256, await sha256File(backup.path));
    const archive = await readFile(backup.path);
    assert.ok(!archive.includes('PRIVATE KEY'), 'no private key in clear in the archive');
    assert.ok(!archive.includes(PASSPHRASE), 'the passphrase is not in the archive');
    // 210.001 stood while it ran, and is gone.
    const events = (await api.request('admin', 'GET', '/api/v1/events?alarm_id=210.001')).body.items as Array<{ alarm_state: string }>;
    assert.deepEqual(events.map((e) => e.alarm_state).sort(), ['clear', 'set']);
    assert.equal((await api.request('admin', 'GET', '/api/v1/alarms?alarm_id=210.001')).body.items.length, 0);
    assert.ok(!api.logLines.some((l) => l.includes(PASSPHRASE)), 'the passphrase is never logged');

    const expected = await tableRows(ctx.database);
    assert.ok(expected.get('certificates')!.some((r) => r.includes('PRIVATE KEY')), 'the source holds private keys');
    assert.equal(expected.get('subclouds')!.length, 3);

    // SQLite target (from either backend).
    const sqliteDir = join(work, 'restored-sqlite');
    const result = await restoreBackup({ archive: backup.path, dataDir: sqliteDir, passphrase: PASSPHRASE });
    assert.equal(result.manifest.dialect, dialect);
    const restoredSqlite = openDatabase({ sqlitePath: join(sqliteDir, 'starling.db') });
    try {
      const got = await tableRows(restoredSqlite);
      for (const [table, rows] of expected) assert.deepEqual(got.get(table), rows, `table ${table} restored onto SQLite`);
      const restoring = await restoredSqlite.db.selectFrom('alarms').select(['entity_instance_id', 'reason_text']).where('alarm_id', '=', '210.002').execute();
      assert.deepEqual(restoring.map((a) => a.entity_instance_id), ['host=test-system'], '210.002 stands in the restored system');
      assert.match(restoring[0]!.reason_text, /restore-complete/);
      assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
    } finally {
      await restoredSqlite.close();
    }
    const blobs = await readdir(join(sqliteDir, 'software', 'blobs'));
    assert.equal(blobs.length, 1, 'the release blob is in the restored store');

    // PostgreSQL target (from either backend), in a schema of its own.
    const schema = `t_restore_${process.pid}_${Date.now().toString(36)}`;
    try {
      await withSchemaLock(() => restoreBackup({ archive: backup.path, dataDir: join(work, 'restored-pg'), databaseUrl: TEST_PG_URL, pgSchema: schema, passphrase: PASSPHRASE }));
      const restoredPg = openDatabase({ databaseUrl: TEST_PG_URL, pgSchema: schema });
      try {
        const got = await tableRows(restoredPg);
        for (const [table, rows] of expected) assert.deepEqual(got.get(table), rows, `table ${table} restored onto PostgreSQL`);
        // Serial numbers go on after the restored ones (PostgreSQL's sequences do not see explicit ids).
        const seqs = (await sql<{ next: number; max: number }>`select nextval(pg_get_serial_sequence('event_log', 'seq')) as next, (select max(seq) from event_log) as max`.execute(restoredPg.db)).rows[0]!;
        assert.ok(Number(seqs.next) > Number(seqs.max), `next event seq ${seqs.next} after the restored ${seqs.max}`);
      } finally {
        await restoredPg.close();
      }
    } finally {
      await dropSchema(schema);
    }
  });

  test('corrupted, truncated and wrong-passphrase archives are refused, and the target is left as it was', async () => {
    await populate();
    const backup = await backUp({ passphrase: PASSPHRASE });
    const target = join(work, 'target');
    await restoreBackup({ archive: backup.path, dataDir: target, passphrase: PASSPHRASE });
    const before = await sha256File(join(target, 'starling.db'));
    const refused = async (archive: string, passphrase: string | undefined, reason: RegExp) => {
      await assert.rejects(restoreBackup({ archive, dataDir: target, ...(passphrase ? { passphrase } : {}) }), (err: Error) => {
        assert.ok(err instanceof RestoreRefused, `${err.name}: ${err.message}`);
        assert.match(err.message, reason);
        assert.match(err.message, /nothing was changed/);
        return true;
      });
      assert.equal(await sha256File(join(target, 'starling.db')), before, 'the target database is untouched');
      assert.deepEqual((await readdir(target)).filter((n) => n.startsWith('.restore-')), [], 'no staging left behind');
    };
    const bytes = await readFile(backup.path);
    const corrupted = join(work, 'corrupted.tar');
    const flipped = Buffer.from(bytes);
    const at = flipped.indexOf('"alarm_id":"100.103"');
    assert.ok(at > 0);
    flipped[at + 14] = flipped[at + 14]! ^ 0x01; // one bit in one alarm row
    await writeFile(corrupted, flipped);
    await refused(corrupted, PASSPHRASE, /db\/alarms\.ndjson is corrupted/);

    const truncated = join(work, 'truncated.tar');
    await writeFile(truncated, bytes);
    await truncate(truncated, Math.floor(bytes.length / 2));
    await refused(truncated, PASSPHRASE, /truncated/);

    await refused(backup.path, 'not the passphrase at all', /wrong passphrase/);
    await refused(backup.path, undefined, /give its passphrase with --passphrase-file/);
    await refused(join(work, 'nothing-here.tar'), PASSPHRASE, /cannot be read/);
  });

  test('a backup without a passphrase leaves the secrets out, says so, and cannot be restored as the same system', async () => {
    await populate();
    const backup = await backUp({});
    assert.equal((await api.request('admin', 'GET', `/api/v1/backups/${backup.name}`)).body.secrets, 'omitted');
    const archive = await readFile(backup.path);
    assert.ok(!archive.includes('PRIVATE KEY'));
    assert.ok(!archive.includes('session_signing_key'));
    await assert.rejects(restoreBackup({ archive: backup.path, dataDir: join(work, 't'), passphrase: PASSPHRASE }), /made without a passphrase/);
    assert.ok(!existsSync(join(work, 't', 'starling.db')));
  });

  test('archives download with HTTP Range; list, delete; admins only; audited', async () => {
    const backup = await backUp({ passphrase: PASSPHRASE });
    const whole = await readFile(backup.path);
    const part = await api.request('admin', 'GET', `/api/v1/backups/${backup.id}/archive`, undefined, { range: 'bytes=100-199' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 100-199/${whole.length}`);
    assert.equal((await api.request('operator', 'GET', `/api/v1/backups/${backup.id}/archive`)).status, 403);
    assert.equal((await api.request('operator', 'POST', '/api/v1/backups', {})).status, 403);
    assert.equal((await api.request('admin', 'POST', '/api/v1/backups', { out_dir: 'relative/dir' })).body.field, 'out_dir');
    assert.equal((await api.request('admin', 'POST', '/api/v1/backups', { passphrase: 'short' })).body.field, 'passphrase');
    assert.equal((await api.request('reader', 'GET', '/api/v1/backups')).body.items.length, 1);
    assert.equal((await api.request('admin', 'DELETE', `/api/v1/backups/${backup.name}`)).status, 204);
    assert.ok(!existsSync(backup.path), 'the archive is deleted with the backup');
    assert.equal((await api.request('reader', 'GET', '/api/v1/backups')).body.items.length, 0);
    const audit = (await api.request('admin', 'GET', '/api/v1/audit?limit=100')).body.items as Array<{ route: string; status: number }>;
    assert.ok(audit.some((a) => a.route === '/api/v1/backups' && a.status === 202), 'the backup is audited');
    assert.ok(audit.some((a) => a.route === '/api/v1/backups/:backup' && a.status === 204), 'the delete is audited');
    assert.ok(!JSON.stringify(audit).includes(PASSPHRASE));
  });

  test('a backup its controller never finished is failed at the next start, its partial file removed', async () => {
    const partial = join(work, 'out', 'stale_platform_backup.tar.partial');
    await mkdir(join(work, 'out'), { recursive: true });
    await writeFile(partial, 'half an archive');
    const staging = join(work, 'out', '.stale_platform_backup.partial');
    await mkdir(join(staging, 'db'), { recursive: true });
    await writeFile(join(staging, 'db', 'alarms.ndjson'), '{}\n');
    await ctx.database.db.insertInto('backups').values({ id: 'b-stale', name: 'stale_platform_backup', state: 'in-progress', path: join(work, 'out', 'stale_platform_backup.tar'), size: null, sha256: null, secrets: 'sealed', schedule: null, error: null, created_by: 'admin', created_at: Date.now(), completed_at: null, expires_at: null }).execute();
    await api.backups.recover();
    const row = (await api.request('admin', 'GET', '/api/v1/backups/stale_platform_backup')).body;
    assert.equal(row.state, 'failed');
    assert.match(row.error, /stopped while the backup was being written/);
    assert.ok(!existsSync(partial));
    assert.ok(!existsSync(staging), 'the staging folder goes too');
  });

  test('system restore-complete clears 210.002; with none standing it is refused', async () => {
    await api.fault.raise({ alarm_id: '210.002', entity_instance_id: 'host=test-system', severity: 'minor', reason_text: 'System Restore in progress' });
    assert.equal((await api.request('operator', 'POST', '/api/v1/system/restore-complete')).status, 403);
    const done = await api.request('admin', 'POST', '/api/v1/system/restore-complete');
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(done.body.cleared, ['host=test-system']);
    assert.equal((await api.request('admin', 'GET', '/api/v1/alarms?alarm_id=210.002')).body.items.length, 0);
    const again = await api.request('admin', 'POST', '/api/v1/system/restore-complete');
    assert.equal(again.status, 409);
    assert.match(again.body.message, /no restore is in progress/);
  });

  test("a PostgreSQL URL whose search path names a schema that does not exist yet is restored there, not into public", async () => {
    const backup = await backUp({ passphrase: PASSPHRASE });
    const schema = `t_fresh_${process.pid}_${Date.now().toString(36)}`;
    const url = `${TEST_PG_URL}${TEST_PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    try {
      const result = await withSchemaLock(() => restoreBackup({ archive: backup.path, dataDir: join(work, 'fresh'), databaseUrl: url, passphrase: PASSPHRASE }));
      assert.equal(result.target, `PostgreSQL schema ${schema}`);
    } finally {
      await dropSchema(schema);
    }
  });
});
