/**
 * kill -9 during a platform backup and during a restore, with real
 * processes over TLS (SQLite): a backup whose controller died is failed at
 * the next start with its partial archive gone, never listed as complete;
 * a restore killed at any point leaves a data folder that starts as the old
 * system or as the restored one, and a restore run to the end gives the
 * restored one, with 210.002 standing until `system restore-complete`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { call, login } from '../helpers/e2e-site.js';
import { BIN, startServe, type Served } from '../helpers/processes.js';

const ADMIN = 'kill-test-admin-password';
const PASSPHRASE = 'kill test backup passphrase';

describe('kill -9 during backup and restore (real processes, TLS)', () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-backup-kill-'));
  const dataDir = join(home, 'data');
  const passFile = join(home, 'pass');
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  const started: Served[] = [];
  const serve = async () => {
    const s = await startServe(['--data-dir', dataDir, '--role', 'systemcontroller'], { STARLING_ADMIN_PASSWORD: ADMIN });
    started.push(s);
    const token = (await login(s.url, 'admin', ADMIN)).body.token as string;
    return { s, api: (method: string, path: string, body?: unknown) => call(s.url, token, method, path, body) };
  };
  const kill = async (s: Served) => {
    s.child.kill('SIGKILL');
    await s.exited;
  };
  after(() => {
    for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });
  let archive = '';

  test('a backup killed mid-way is failed at the next start, its partial archive removed; the next one completes', async () => {
    const first = await serve();
    // Enough rows that writing the archive takes a while.
    for (let start = 0; start < 60_000; start += 5000) {
      const raise = Array.from({ length: 5000 }, (_, j) => ({ alarm_id: '100.103', entity_instance_id: `host=controller-0.sensor=s${start + j}`, severity: 'major', reason_text: `sensor ${start + j}` }));
      assert.equal((await first.api('POST', '/api/v1/alarms/batch', { raise })).status, 200);
    }
    const begun = await first.api('POST', '/api/v1/backups', { passphrase: PASSPHRASE });
    assert.equal(begun.status, 202);
    // Killed once it is writing (its partial files exist), whatever the machine's load.
    const folder = join(dataDir, 'backups');
    const partials = () => (existsSync(folder) ? readdirSync(folder).filter((f) => f.includes('partial')) : []);
    for (let i = 0; i < 4000 && partials().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(partials().length > 0, 'the backup was writing when it was killed');
    await kill(first.s);

    const second = await serve();
    const row = (await second.api('GET', `/api/v1/backups/${begun.body.id}`)).body;
    assert.equal(row.state, 'failed', JSON.stringify(row));
    assert.match(row.error, /stopped while the backup was being written/);
    assert.deepEqual(partials(), [], 'no partial file is left');
    assert.equal((await second.api('GET', '/api/v1/alarms?alarm_id=210.001')).body.items.length, 0, '210.001 does not outlive its backup');

    const again = await second.api('POST', '/api/v1/backups', { passphrase: PASSPHRASE });
    for (let i = 0; i < 600; i++) {
      const now = (await second.api('GET', `/api/v1/backups/${again.body.id}`)).body;
      if (now.state !== 'in-progress') {
        assert.equal(now.state, 'complete', JSON.stringify(now));
        archive = now.path;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(archive, 'the second backup completed');
    // A change after the backup: the old system has this user, the restored one does not.
    assert.equal((await second.api('POST', '/api/v1/users', { name: 'after-backup', role: 'reader', password: 'after-backup-password' })).status, 201);
    await kill(second.s);
  });

  test('a restore killed at any point leaves a folder that starts as the old system or the restored one', async (t) => {
    assert.ok(archive, 'needs the previous test');
    const restore = (into = dataDir) =>
      spawn(process.execPath, [BIN, 'backup', 'restore', archive, '--data-dir', into, '--passphrase-file', passFile], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    // How long a whole restore takes here (into a scratch folder), so the kills fall all along it.
    const t0 = performance.now();
    assert.equal(await new Promise((resolve) => restore(join(home, 'scratch')).once('exit', resolve)), 0);
    const fullMs = performance.now() - t0;
    const seen = new Set<string>();
    for (const afterMs of [0.05, 0.3, 0.6, 0.85, 0.95, 1].map((f) => Math.round(f * fullMs))) {
      const child = restore();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise((r) => setTimeout(r, afterMs));
      child.kill('SIGKILL');
      await exited;
      const { s, api } = await serve();
      const users = ((await api('GET', '/api/v1/users')).body.items as Array<{ name: string }>).map((u) => u.name);
      const restoring = (await api('GET', '/api/v1/alarms?alarm_id=210.002')).body.items.length;
      const state = users.includes('after-backup') ? 'old' : 'restored';
      // The old system has no 210.002; the restored one always has it.
      assert.equal(restoring, state === 'old' ? 0 : 1, `killed after ${afterMs} ms: ${state} system, 210.002 ×${restoring}`);
      assert.equal((await api('GET', '/api/v1/alarms?limit=1')).status, 200);
      seen.add(state);
      t.diagnostic(`killed after ${afterMs} ms: the ${state} system started`);
      await kill(s);
      if (state === 'restored') break;
    }
    // And run to the end: the restored system, 210.002 until the operator says the restore is complete.
    const child = restore();
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const { s, api } = await serve();
    const users = ((await api('GET', '/api/v1/users')).body.items as Array<{ name: string }>).map((u) => u.name);
    assert.ok(!users.includes('after-backup'), 'the restored system is the one backed up');
    assert.equal((await api('GET', '/api/v1/alarms?alarm_id=100.103&limit=1')).status, 200);
    assert.equal((await api('POST', '/api/v1/system/restore-complete')).status, 200);
    assert.equal((await api('GET', '/api/v1/alarms?alarm_id=210.002')).body.items.length, 0);
    assert.ok(seen.has('old'), 'an early kill leaves the old system');
    await kill(s);
  });
});
