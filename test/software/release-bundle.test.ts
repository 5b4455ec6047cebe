import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { buildBundle, readBundle } from '../../src/resources/software/release-bundle.js';
import { parsePublicKey } from '../../src/resources/software/release-signature.js';
import { makeBundle, newKeys, packTar, tarEntries } from '../helpers/releases.js';

describe('release bundles: build, sign, verify', () => {
  let work: string;
  let bundle: string;
  const keys = newKeys();
  const trusted = [{ key_id: parsePublicKey(keys.publicPem).key_id, public_key: keys.publicPem }];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'bundle-test-'));
    bundle = await makeBundle({ id: 'starling-1.0.1', requires: ['starling-1.0.0'], health_check: 'bin/health.sh', files: { 'bin/app': 'v1.0.1\n', 'bin/health.sh': '#!/bin/sh\nexit 0\n', 'etc/copy': 'v1.0.1\n' } }, keys.privatePem, work);
  });
  after(() => rm(work, { recursive: true, force: true }));

  const read = async (input: Buffer | string, trust = trusted) => {
    const stagingDir = await mkdtemp(join(work, 'staging-'));
    const data = typeof input === 'string' ? await readFile(input) : input;
    return { stagingDir, result: await readBundle(Readable.from([data]), { trusted: trust, stagingDir, has: async () => false }) };
  };

  test('a built bundle holds release.json, release.sig and one blob per distinct content; it reads back verified', async () => {
    const entries = await tarEntries(bundle);
    assert.deepEqual(entries.slice(0, 2).map((e) => e.name), ['release.json', 'release.sig']);
    assert.equal(entries.length, 4, 'bin/app and etc/copy have the same content: one blob');
    const { result, stagingDir } = await read(bundle);
    assert.equal(result.metadata.id, 'starling-1.0.1');
    assert.deepEqual(result.metadata.requires, ['starling-1.0.0']);
    assert.equal(result.metadata.files.find((f) => f.path === 'bin/health.sh')?.executable, true);
    assert.equal(result.staged.size, 2);
    assert.equal((await readdir(stagingDir)).length, 2);
  });

  test('a key the system does not trust is refused, naming the key', async () => {
    const other = newKeys();
    const otherTrust = [{ key_id: parsePublicKey(other.publicPem).key_id, public_key: other.publicPem }];
    await assert.rejects(read(bundle, otherTrust), /release\.sig: signed with key [0-9a-f]{16}, which this system does not trust/);
    await assert.rejects(read(bundle, []), /trusted: none/);
  });

  test('an unsigned bundle is refused', async () => {
    const entries = (await tarEntries(bundle)).filter((e) => e.name !== 'release.sig');
    await assert.rejects(read(await packTar(entries)), /not signed/);
  });

  test('metadata changed after signing is refused', async () => {
    const entries = await tarEntries(bundle);
    entries[0]!.body = Buffer.from(entries[0]!.body.toString().replace('"reboot_required": false', '"reboot_required": true'));
    await assert.rejects(read(await packTar(entries)), /signature does not match release\.json/);
  });

  test('content changed after signing is refused, naming the file, and nothing of it is left staged', async () => {
    const entries = await tarEntries(bundle);
    const blob = entries.find((e) => e.name.startsWith('blobs/') && e.body.toString().startsWith('v1.0.1'))!;
    blob.body = Buffer.from('v6.6.6\n');
    const stagingDir = await mkdtemp(join(work, 'staging-'));
    await assert.rejects(
      readBundle(Readable.from([await packTar(entries)]), { trusted, stagingDir, has: async () => false }),
      /content of (bin\/app|etc\/copy) does not match its signed digest: the bundle was tampered with/,
    );
  });

  test('a blob larger than its signed size is refused from its header: nothing of it is written', async () => {
    const entries = await tarEntries(bundle);
    const blob = entries.find((e) => e.name.startsWith('blobs/') && e.body.toString().startsWith('v1.0.1'))!;
    blob.body = Buffer.concat([blob.body, Buffer.alloc(8 * 1024 * 1024, 0x41)]);
    const tar = await packTar(entries);
    async function* chunked() {
      for (let at = 0; at < tar.length; at += 64 * 1024) yield tar.subarray(at, at + 64 * 1024);
    }
    const stagingDir = await mkdtemp(join(work, 'staging-'));
    await assert.rejects(
      readBundle(Readable.from(chunked()), { trusted, stagingDir, has: async () => false }),
      /blobs\/[0-9a-f]{64}: 8388615 bytes where release\.json signs 7 for (bin\/app|etc\/copy): the bundle was tampered with/,
    );
    assert.ok(!(await readdir(stagingDir)).includes(blob.name.slice('blobs/'.length)), 'the oversized blob was not staged');
  });

  test('a missing blob is refused unless the store already holds it', async () => {
    const entries = (await tarEntries(bundle)).filter((e) => !(e.name.startsWith('blobs/') && e.body.toString().startsWith('#!')));
    await assert.rejects(read(await packTar(entries)), /missing \(content of bin\/health\.sh\)/);
    const stagingDir = await mkdtemp(join(work, 'staging-'));
    const ok = await readBundle(Readable.from([await packTar(entries)]), { trusted, stagingDir, has: async () => true });
    assert.equal(ok.staged.size, 1);
  });

  test('extra entries and garbage are refused', async () => {
    const entries = await tarEntries(bundle);
    await assert.rejects(read(await packTar([...entries, { name: 'install.sh', body: Buffer.from('rm -rf /') }])), /install\.sh: not part of a release bundle/);
    await assert.rejects(read(Buffer.from('this is not a tar file at all, not even close'.repeat(20))), /bundle|release\.json/);
  });

  test('build checks release.json and names the field', async () => {
    const dir = join(work, 'bad');
    await mkdir(join(dir, 'content'), { recursive: true });
    await writeFile(join(dir, 'content', 'a'), 'a');
    const cases: Array<[object, RegExp]> = [
      [{ id: 'Bad ID', version: '1.0', summary: 's' }, /release\.json\.id: "Bad ID" must be lower-case/],
      [{ id: 'ok-1', version: 'one', summary: 's' }, /release\.json\.version/],
      [{ id: 'ok-1', version: '1.0', summary: 's', kind: 'hotfix' }, /release\.json\.kind: one of patch, major/],
      [{ id: 'ok-1', version: '1.0', summary: 's', health_check: '../etc/passwd' }, /release\.json\.health_check/],
      [{ id: 'ok-1', version: '1.0', summary: 's', health_check: 'bin/missing' }, /health_check: bin\/missing is not one of the release's files/],
      [{ id: 'ok-1', version: '1.0', summary: 's', requires: ['ok-1'] }, /cannot require itself/],
      [{ id: 'ok-1', version: '1.0' }, /release\.json\.summary: required/],
    ];
    for (const [meta, re] of cases) {
      await writeFile(join(dir, 'release.json'), JSON.stringify(meta));
      await assert.rejects(buildBundle(dir, keys.privatePem, join(work, 'bad.tar')), re);
    }
    await writeFile(join(dir, 'release.json'), JSON.stringify({ id: 'ok-1', version: '1.0', summary: 's' }));
    await assert.rejects(buildBundle(dir, keys.publicPem, join(work, 'bad.tar')), /key: not a PEM private key/);
  });
});
