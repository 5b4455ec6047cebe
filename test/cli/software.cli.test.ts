import assert from 'node:assert/strict';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliRunner } from '../helpers/cli.js';
import { useLiveApi } from '../helpers/live-api.js';

describe('starling release keygen | build and starling software upload | list | show | delete | trust', () => {
  const live = useLiveApi();

  test('an operator makes keys, builds and signs a release, trusts the key, uploads, lists, shows and deletes it', async () => {
    const work = await mkdtemp(join(tmpdir(), 'software-cli-'));
    const admin = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: live.api.tokens.admin });
    const reader = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: live.api.tokens.reader });

    const keygen = await admin.run('release', 'keygen', '--out', join(work, 'team'));
    assert.equal(keygen.code, 0, keygen.err);
    const keyId = /\| key_id +\| ([0-9a-f]{16}) +\|/.exec(keygen.out)![1]!;
    assert.equal((await stat(join(work, 'team.key'))).mode & 0o777, 0o600, 'the private key is readable by its owner only');
    const again = await admin.run('release', 'keygen', '--out', join(work, 'team'));
    assert.notEqual(again.code, 0);
    assert.match(again.err, /team\.key exists; not overwriting a key/);

    const dir = join(work, 'rel');
    await mkdir(join(dir, 'content', 'bin'), { recursive: true });
    await writeFile(join(dir, 'content', 'bin', 'app'), 'app 1.0.1\n');
    await writeFile(join(dir, 'release.json'), JSON.stringify({ id: 'starling-1.0.1', version: '1.0.1', summary: 'Fixes the widget', reboot_required: true }));
    const bundle = join(work, 'starling-1.0.1.tar');
    const build = await admin.run('release', 'build', dir, '--key', join(work, 'team.key'), '--out', bundle);
    assert.equal(build.code, 0, build.err);
    assert.match(build.out, new RegExp(`\\| key_id +\\| ${keyId} +\\|`));

    const refused = await admin.run('software', 'upload', bundle);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /does not trust \(trusted: none; "starling software trust add"\) \[HTTP 400\]/);

    assert.equal((await reader.run('software', 'trust', 'add', join(work, 'team.pub'))).code, 1, 'readers cannot trust keys');
    const trust = await admin.run('software', 'trust', 'add', join(work, 'team.pub'), '--name', 'release team');
    assert.equal(trust.code, 0, trust.err);
    assert.match((await reader.run('software', 'trust', 'list')).out, new RegExp(`\\| ${keyId} \\| release team \\|`));

    const up = await admin.run('software', 'upload', bundle);
    assert.equal(up.code, 0, up.err);
    assert.match(up.out, /\| state +\| available +\|/);
    const list = await reader.run('software', 'list');
    assert.match(list.out, /\| Release +\| RR +\| State +\| Kind +\| Summary +\|/);
    assert.match(list.out, /\| starling-1\.0\.1 \| True \| available \| patch \| Fixes the widget \|/);
    const show = await reader.run('software', 'show', 'starling-1.0.1', '-o', 'json');
    assert.equal(JSON.parse(show.out).files[0].path, 'bin/app');

    assert.equal((await admin.run('software', 'delete', 'starling-1.0.1')).out, 'Release starling-1.0.1 deleted');
    assert.equal((await admin.run('software', 'trust', 'remove', keyId)).out, `Key ${keyId} removed`);
    assert.match((await admin.run('software', 'upload', join(work, 'nope.tar'))).err, /nope\.tar: no such file/);
  });

  test('software deploy and strategy: clear answers when there is nothing, and a progress bar', async () => {
    const reader = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: live.api.tokens.reader });
    const none = await reader.run('software', 'deploy', 'show');
    assert.equal(none.code, 1);
    assert.match(none.err, /no software deploy in progress \[HTTP 404\]/);
    assert.match((await reader.run('strategy', 'show')).err, /no sw-deploy strategy \[HTTP 404\]/);
    const admin = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: live.api.tokens.admin });
    const missing = await admin.run('strategy', 'create', 'sw-deploy', '--release', 'nope-1');
    assert.match(missing.err, /no release nope-1/);
    const { progressBar } = await import('../../src/cli/commands/strategy.js');
    assert.equal(progressBar(4, 10), '[########------------] 4/10');
    assert.equal(progressBar(0, 0), '[--------------------] 0/0');
  });
});
