import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliRunner } from '../helpers/cli.js';
import { useLiveApi } from '../helpers/live-api.js';

describe('starling backup create | list | show | delete and backup schedule …', () => {
  const live = useLiveApi();

  test('an admin backs up with a ttl, schedules nightly backups, pauses, resumes and deletes the schedule', async () => {
    const work = await mkdtemp(join(tmpdir(), 'backup-cli-'));
    const pass = join(work, 'pass');
    await writeFile(pass, 'a long enough passphrase\n', { mode: 0o600 });
    const admin = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: live.api.tokens.admin });
    const reader = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: live.api.tokens.reader });

    const made = await admin.run('backup', 'create', '--out', join(work, 'out'), '--passphrase-file', pass, '--ttl', '7d', '-o', 'json');
    assert.equal(made.code, 0, made.err);
    const backup = JSON.parse(made.out);
    assert.equal(backup.state, 'complete');
    assert.equal(Date.parse(backup.expires_at) - Date.parse(backup.created_at), 7 * 86_400_000);
    assert.match((await reader.run('backup', 'list')).out, new RegExp(`\\| ${backup.name} +\\| complete +\\|`));
    // Download, and resume one that stopped half-way.
    const whole = join(work, 'copy.tar');
    const got = await admin.run('backup', 'download', backup.name, '--out', whole);
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, new RegExp(`sha256 ${backup.sha256} \\(downloaded\\)`));
    const bytes = await readFile(whole);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), backup.sha256);
    const half = join(work, 'half.tar');
    await writeFile(`${half}.partial`, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const resumed = await admin.run('backup', 'download', backup.id, '--out', half);
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, /resumed: /);
    assert.ok((await readFile(half)).equals(bytes));
    assert.match((await admin.run('backup', 'download', backup.name, '--out', half)).err, /exists; not overwriting/);
    assert.notEqual((await reader.run('backup', 'download', backup.name, '--out', join(work, 'r.tar'))).code, 0, 'readers cannot download archives');

    const badTtl = await admin.run('backup', 'create', '--ttl', 'a week');
    assert.notEqual(badTtl.code, 0);
    assert.match(badTtl.err, /ttl: "a week" is not a duration/);

    const created = await admin.run('backup', 'schedule', 'create', 'nightly', '--cron', '0 3 * * *', '--keep', '7', '--ttl', '30d', '--passphrase-file', pass);
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /\| secrets +\| sealed +\|/);
    assert.doesNotMatch(created.out + created.err, /a long enough passphrase/);
    const badCron = await admin.run('backup', 'schedule', 'create', 'hourly', '--cron', '0 25 * * *');
    assert.notEqual(badCron.code, 0);
    assert.match(badCron.err, /cron: .*hour/i);
    assert.equal((await admin.run('backup', 'schedule', 'create', 'x', '--cron', '0 3 * * *', '--keep', '0')).code, 1);
    assert.equal((await reader.run('backup', 'schedule', 'create', 'r', '--cron', '0 3 * * *')).code, 1, 'readers cannot schedule backups');

    const list = await reader.run('backup', 'schedule', 'list');
    assert.match(list.out, /\| Name +\| Cron \(UTC\) +\| Keep +\| TTL +\| Paused +\| Next run +\|/);
    assert.match(list.out, /\| nightly +\| 0 3 \* \* \* +\| 7 +\| 30d +\| no +\| \d{4}-\d\d-\d\dT03:00:00\.000Z/);
    assert.match((await admin.run('backup', 'schedule', 'pause', 'nightly')).out, /\| paused +\| true +\|/);
    assert.match((await admin.run('backup', 'schedule', 'resume', 'nightly')).out, /\| next_run_at +\| \d{4}-\d\d-\d\dT03:00:00\.000Z +\|/);
    assert.equal((await admin.run('backup', 'schedule', 'delete', 'nightly')).code, 0);
    const gone = await reader.run('backup', 'schedule', 'show', 'nightly');
    assert.notEqual(gone.code, 0);
    assert.match(gone.err, /no backup schedule nightly/);
    assert.equal((await admin.run('backup', 'delete', backup.name)).code, 0);
  });
});
