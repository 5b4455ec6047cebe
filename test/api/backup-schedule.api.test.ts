/**
 * Backup schedules and pruning on both backends, with the controller's
 * clock moved by hand: a due schedule makes a real backup named
 * `<schedule>-<YYYYMMDDHHMMSS>`, keep and ttl delete the archives they should
 * and no others, pause and resume, a busy controller retries a minute later,
 * and a schedule's passphrase is never shown but is sealed into backups.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createTestApi, PASSWORDS, type TestApi } from '../helpers/api.js';
import { describeEachBackend } from '../helpers/backends.js';

const PASSPHRASE = 'schedule passphrase 42';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// 2026-03-01 02:00 UTC: an hour before a nightly 03:00 run.
const START = Date.UTC(2026, 2, 1, 2, 0, 0);

describeEachBackend('backup schedules and pruning', (ctx) => {
  let api: TestApi;
  let work: string;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { clockStart: START });
    work = await mkdtemp(join(tmpdir(), 'starling-backup-schedule-test-'));
  });
  afterEach(async () => {
    await api.close();
    await rm(work, { recursive: true, force: true });
  });

  /** Moves the controller's clock (sessions older than their lifetime end, so everyone logs in again). */
  const at = async (ms: number) => {
    api.clock.set(ms);
    for (const role of ['admin', 'operator', 'reader'] as const) api.tokens[role] = (await api.request(null, 'POST', '/api/v1/auth/login', { username: role, password: PASSWORDS[role] })).body.token;
  };
  /** One loop tick, then the backup it started (if any) finished. */
  const tick = async () => {
    const started = await api.backupSchedules.tick();
    await api.backups.settled();
    return started;
  };
  const backups = async () => (await api.request('reader', 'GET', '/api/v1/backups')).body.items as Array<{ name: string; state: string; path: string; schedule: string | null; expires_at: string | null; secrets: string }>;

  test('bad schedules are refused naming the field; readers see schedules but cannot make them', async () => {
    const bad: Array<[object, string, RegExp]> = [
      [{ name: 'nightly', cron: '61 3 * * *' }, 'cron', /minute/],
      [{ name: 'nightly', cron: '0 3 * *' }, 'cron', /five fields/],
      [{ name: 'nightly', cron: '0 3 * * *', ttl: '30x' }, 'ttl', /not a duration/],
      [{ name: 'nightly', cron: '0 3 * * *', keep: 0 }, 'keep', /./],
      [{ name: 'Nightly Backup', cron: '0 3 * * *' }, 'name', /./],
    ];
    for (const [body, field, reason] of bad) {
      const r = await api.request('admin', 'POST', '/api/v1/backup-schedules', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.text, new RegExp(field));
      assert.match(r.body.message, reason);
    }
    assert.equal((await api.request('admin', 'GET', '/api/v1/backup-schedules')).body.items.length, 0, 'nothing half-made');
    assert.equal((await api.request('operator', 'POST', '/api/v1/backup-schedules', { name: 'nightly', cron: '0 3 * * *' })).status, 403);
    assert.equal((await api.request('admin', 'POST', '/api/v1/backup-schedules', { name: 'nightly', cron: '0 3 * * *' })).status, 201);
    assert.equal((await api.request('admin', 'POST', '/api/v1/backup-schedules', { name: 'nightly', cron: '0 4 * * *' })).status, 409);
    assert.equal((await api.request('reader', 'GET', '/api/v1/backup-schedules/nightly')).body.cron, '0 3 * * *');
    const audit = (await api.request('admin', 'GET', '/api/v1/audit?limit=50')).body.items as Array<{ route: string; status: number }>;
    assert.ok(audit.some((a) => a.route === '/api/v1/backup-schedules' && a.status === 201), 'the creation is audited');
  });

  test('a nightly schedule makes its backups on time, keeps two, and its ttl expires them', async () => {
    const created = await api.request('admin', 'POST', '/api/v1/backup-schedules', { name: 'nightly', cron: '0 3 * * *', keep: 2, ttl: '3d', out_dir: join(work, 'out'), passphrase: PASSPHRASE });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.next_run_at, '2026-03-01T03:00:00.000Z');
    assert.equal(created.body.secrets, 'sealed');
    assert.equal(created.body.ttl, '3d');
    assert.ok(!created.text.includes(PASSPHRASE), 'the passphrase is never shown');

    assert.deepEqual(await tick(), [], 'not due before 03:00');
    const names: string[] = [];
    for (let night = 0; night < 3; night++) {
      await at(START + night * DAY + HOUR + 5_000);
      const started = await tick();
      assert.equal(started.length, 1, `night ${night}`);
      names.push(started[0]!);
    }
    assert.deepEqual(names, ['nightly-20260301030005', 'nightly-20260302030005', 'nightly-20260303030005']);
    // keep 2 counts complete backups: the third was still running when its tick pruned, the next tick (15 s on) prunes.
    assert.equal((await backups()).length, 3);
    assert.deepEqual(await tick(), []);
    let list = await backups();
    // keep 2: the first night's backup and its archive are gone.
    assert.deepEqual(list.map((b) => b.name).sort(), names.slice(1));
    assert.ok(list.every((b) => b.state === 'complete' && b.schedule === 'nightly' && b.secrets === 'sealed' && existsSync(b.path)));
    assert.equal(list.find((b) => b.name === names[2])!.expires_at, '2026-03-06T03:00:05.000Z');
    assert.ok(!existsSync(join(work, 'out', `${names[0]}.tar`)), 'the pruned archive is deleted');
    const schedule = (await api.request('reader', 'GET', '/api/v1/backup-schedules/nightly')).body;
    assert.equal(schedule.last_backup, names[2]);
    assert.equal(schedule.next_run_at, '2026-03-04T03:00:00.000Z');

    // Paused, it makes nothing; its backups still expire.
    assert.equal((await api.request('admin', 'POST', '/api/v1/backup-schedules/nightly/pause')).body.next_run_at, null);
    await at(START + 10 * DAY);
    assert.deepEqual(await tick(), []);
    assert.deepEqual(await backups(), [], 'both expired and pruned');
    // Resumed, it runs at its next time, once: ten missed nights are not made up one by one.
    assert.equal((await api.request('admin', 'POST', '/api/v1/backup-schedules/nightly/resume')).body.next_run_at, '2026-03-11T03:00:00.000Z');
    await at(START + 12 * DAY + 2 * HOUR);
    assert.equal((await tick()).length, 1);
    assert.equal((await tick()).length, 0);
    list = await backups();
    assert.equal(list.length, 1);

    // Deleting the schedule leaves its backups.
    assert.equal((await api.request('admin', 'DELETE', '/api/v1/backup-schedules/nightly')).status, 204);
    assert.equal((await backups()).length, 1);
    assert.equal((await api.request('reader', 'GET', '/api/v1/backup-schedules/nightly')).status, 404);
  });

  test('a backup of its own, made with --ttl, is pruned when it expires; one without is kept', async () => {
    const kept = await api.request('admin', 'POST', '/api/v1/backups', { out_dir: join(work, 'a') });
    await api.backups.settled();
    api.clock.advance(1_000); // names are per second
    const short = await api.request('admin', 'POST', '/api/v1/backups', { out_dir: join(work, 'b'), ttl: '12h' });
    assert.equal(short.status, 202, short.text);
    await api.backups.settled();
    assert.equal(short.body.expires_at, new Date(START + 1_000 + 12 * HOUR).toISOString());
    assert.equal((await api.request('admin', 'POST', '/api/v1/backups', { ttl: 'soon' })).status, 400);
    await at(api.clock.now() + 13 * HOUR);
    await tick();
    assert.deepEqual((await backups()).map((b) => b.name), [kept.body.name]);
  });

  test('a schedule due while a backup runs tries again a minute later, and says why', async () => {
    await api.request('admin', 'POST', '/api/v1/backup-schedules', { name: 'hourly', cron: '0 * * * *', out_dir: join(work, 'out') });
    // A backup in progress (as another process's would be).
    await ctx.database.db.insertInto('backups').values({ id: 'busy', name: 'busy', state: 'in-progress', path: join(work, 'busy.tar'), size: null, sha256: null, secrets: 'omitted', schedule: null, error: null, created_by: 'admin', created_at: START, completed_at: null, expires_at: null }).execute();
    api.clock.set(START + HOUR);
    assert.deepEqual(await tick(), []);
    const schedule = (await api.request('reader', 'GET', '/api/v1/backup-schedules/hourly')).body;
    assert.match(schedule.last_error, /a backup is in progress \(busy\)/);
    assert.equal(schedule.next_run_at, new Date(START + HOUR + 60_000).toISOString());
    await ctx.database.db.deleteFrom('backups').where('id', '=', 'busy').execute();
    api.clock.advance(60_000);
    assert.equal((await tick()).length, 1);
    assert.equal((await api.request('reader', 'GET', '/api/v1/backup-schedules/hourly')).body.last_error, null);
  });
});
