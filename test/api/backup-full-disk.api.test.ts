/**
 * A platform backup onto a disk that fills up: a real, tiny tmpfs (1 MiB)
 * as the archive folder. The backup fails with the cause, leaves nothing in
 * the folder, clears 210.001, and the next backup elsewhere completes.
 * Mounting needs root (as CI runs); elsewhere the test says it skipped.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, test } from 'node:test';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { describeEachBackend } from '../helpers/backends.js';

const tiny = mkdtempSync(join(tmpdir(), 'starling-full-disk-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tiny], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
after(() => {
  if (mounted) execFileSync('umount', [tiny], { stdio: 'ignore' });
  rmSync(tiny, { recursive: true, force: true });
});

describeEachBackend('a backup onto a full disk', (ctx, dialect) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
  });
  afterEach(() => api.close());

  test('fails with the cause, removes what it wrote, clears 210.001; the next one completes', { skip: mounted ? false : 'SKIPPED: cannot mount a tmpfs here (needs root)' }, async () => {
    for (let start = 0; start < 20_000; start += 5000) {
      const raise = Array.from({ length: 5000 }, (_, j) => ({ alarm_id: '100.103', entity_instance_id: `host=controller-0.sensor=s${start + j}`, severity: 'major', reason_text: `sensor ${start + j}` }));
      assert.equal((await api.request('operator', 'POST', '/api/v1/alarms/batch', { raise })).status, 200);
    }
    const out = join(tiny, dialect);
    const started = await api.request('admin', 'POST', '/api/v1/backups', { out_dir: out, passphrase: 'full disk passphrase' });
    assert.equal(started.status, 202, started.text);
    await api.backups.settled();
    const row = (await api.request('admin', 'GET', `/api/v1/backups/${started.body.id}`)).body;
    assert.equal(row.state, 'failed');
    assert.match(row.error, /no space left on the disk.*the partial archive was removed/);
    assert.deepEqual(readdirSync(out), [], 'nothing is left in the folder');
    assert.equal((await api.request('admin', 'GET', '/api/v1/alarms?alarm_id=210.001')).body.items.length, 0);

    api.clock.advance(1_000); // backup names are per second
    const roomy = mkdtempSync(join(tmpdir(), 'starling-roomy-'));
    try {
      const next = await api.request('admin', 'POST', '/api/v1/backups', { out_dir: roomy, passphrase: 'full disk passphrase' });
      assert.equal(next.status, 202, next.text);
      await api.backups.settled();
      assert.equal((await api.request('admin', 'GET', `/api/v1/backups/${next.body.id}`)).body.state, 'complete');
    } finally {
      rmSync(roomy, { recursive: true, force: true });
    }
  });
});
