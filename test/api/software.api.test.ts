import assert from 'node:assert/strict';
import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { makeBundle, newKeys, packTar, tarEntries } from '../helpers/releases.js';

const octet = { 'content-type': 'application/octet-stream' };

describeEachBackend('software releases: trust, upload, list, show, delete, download', (ctx) => {
  let api: TestApi;
  let work: string;
  const keys = newKeys();
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
    work = await mkdtemp(join(tmpdir(), 'software-api-'));
  });
  afterEach(async () => {
    await api.close();
    await rm(work, { recursive: true, force: true });
  });

  const trust = async () => {
    const r = await api.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem, name: 'release team' });
    assert.equal(r.status, 201, r.text);
    return r.body.key_id as string;
  };
  const upload = async (bundle: string | Buffer) => api.request('admin', 'POST', '/api/v1/software/releases', typeof bundle === 'string' ? await readFile(bundle) : bundle, octet);
  const storeFiles = async () => (await readdir(api.blobs.blobsDir)).length;
  const stagingFiles = async () => (await readdir(join(api.blobs.root, 'staging'))).length;

  test('only admins change the trusted keys; everyone can read them; bad keys are refused with the field', async () => {
    assert.equal((await api.request('operator', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem })).status, 403);
    const keyId = await trust();
    assert.equal((await api.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem })).status, 409);
    const bad = await api.request('admin', 'POST', '/api/v1/software/trust', { public_key: 'not a key' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'public_key');
    const list = await api.request('reader', 'GET', '/api/v1/software/trust');
    assert.deepEqual(list.body.items.map((k: { key_id: string; name: string }) => [k.key_id, k.name]), [[keyId, 'release team']]);
    // The keys are part of the platform sync content.
    const desired = await api.sync.desired();
    assert.deepEqual((desired.endpoints.platform!.content as { release_keys: Array<{ key_id: string }> }).release_keys.map((k) => k.key_id), [keyId]);
    assert.equal((await api.request('admin', 'DELETE', `/api/v1/software/trust/${keyId}`)).status, 204);
    assert.equal((await api.request('admin', 'DELETE', `/api/v1/software/trust/${keyId}`)).status, 404);
  });

  test('a signed bundle uploads as available; list and show follow; a second upload of it conflicts', async () => {
    const keyId = await trust();
    const bundle = await makeBundle({ id: 'starling-1.0.1', reboot_required: true, files: { 'bin/app': 'v1\n', 'README': 'hello\n' } }, keys.privatePem, work);
    const r = await upload(bundle);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual([r.body.release_id, r.body.state, r.body.kind, r.body.reboot_required, r.body.key_id, r.body.files.length], ['starling-1.0.1', 'available', 'patch', true, keyId, 2]);
    const list = await api.request('reader', 'GET', '/api/v1/software/releases');
    assert.deepEqual(list.body.items.map((i: { release_id: string; state: string }) => `${i.release_id}:${i.state}`), ['starling-1.0.1:available']);
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases?state=deployed')).body.items.length, 0);
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases/starling-1.0.1')).body.files.length, 2);
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases/nope')).status, 404);
    const again = await upload(bundle);
    assert.equal(again.status, 409);
    assert.match(again.body.message, /already uploaded \(available\)/);
    assert.equal(await storeFiles(), 2);
    assert.equal(await stagingFiles(), 0);
    const audit = await api.request('admin', 'GET', '/api/v1/audit?limit=5');
    assert.ok(audit.body.items.some((a: { target_id: string; status: number }) => a.target_id === 'starling-1.0.1' && a.status === 201), 'the upload is in the audit log');
  });

  test('unsigned, wrongly signed or tampered bundles are refused with the reason, and nothing is kept', async () => {
    await trust();
    const bundle = await makeBundle({ id: 'starling-1.0.2', files: { 'bin/app': 'v2\n' } }, keys.privatePem, work);
    const entries = await tarEntries(bundle);
    const tampered = entries.map((e) => (e.name.startsWith('blobs/') ? { ...e, body: Buffer.from('v6\n') } : e));
    const padded = entries.map((e) => (e.name.startsWith('blobs/') ? { ...e, body: Buffer.from('evil\n') } : e));
    const unsigned = entries.filter((e) => e.name !== 'release.sig');
    const otherKey = await makeBundle({ id: 'starling-1.0.3', files: { 'bin/app': 'v3\n' } }, newKeys().privatePem, work);
    const cases: Array<[string | Buffer, RegExp]> = [
      [await packTar(tampered), /bin\/app does not match its signed digest/],
      [await packTar(padded), /5 bytes where release\.json signs 3 for bin\/app/],
      [await packTar(unsigned), /not signed/],
      [otherKey, /does not trust/],
    ];
    for (const [body, re] of cases) {
      const r = await upload(body);
      assert.equal(r.status, 400, r.text);
      assert.match(r.body.message, re);
    }
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases')).body.items.length, 0);
    assert.equal(await storeFiles(), 0);
    assert.equal(await stagingFiles(), 0);
    assert.equal((await api.request('operator', 'POST', '/api/v1/software/releases', await readFile(bundle), octet)).status, 403, 'uploads are for admins');
    assert.equal((await api.request('admin', 'POST', '/api/v1/software/releases', { not: 'a bundle' })).status, 415);
  });

  test('blobs download whole or by HTTP Range, so a transfer resumes where it stopped', async () => {
    await trust();
    const content = Buffer.from('0123456789'.repeat(100));
    await upload(await makeBundle({ id: 'starling-1.0.4', files: { 'data/blob': content } }, keys.privatePem, work));
    const sha = (await api.request('reader', 'GET', '/api/v1/software/releases/starling-1.0.4')).body.files[0].sha256;
    const url = `/api/v1/software/releases/starling-1.0.4/blobs/${sha}`;
    const whole = await api.request('reader', 'GET', url);
    assert.equal(whole.status, 200);
    assert.equal(whole.text, content.toString());
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    const part = await api.request('reader', 'GET', url, undefined, { range: 'bytes=995-' });
    assert.equal(part.status, 206);
    assert.equal(part.text, '56789');
    assert.equal(part.headers['content-range'], 'bytes 995-999/1000');
    const middle = await api.request('reader', 'GET', url, undefined, { range: 'bytes=10-14' });
    assert.equal(middle.text, '01234');
    assert.equal((await api.request('reader', 'GET', url, undefined, { range: 'bytes=1000-' })).status, 416);
    assert.equal((await api.request('reader', 'GET', `/api/v1/software/releases/starling-1.0.4/blobs/${'0'.repeat(64)}`)).status, 404);
  });

  test('delete follows StarlingX: only available, unavailable or upload-failed; shared blobs stay', async () => {
    await trust();
    await upload(await makeBundle({ id: 'starling-1.0.5', files: { 'bin/app': 'v5\n', 'lib/common': 'shared\n' } }, keys.privatePem, work));
    await upload(await makeBundle({ id: 'starling-1.0.6', requires: ['starling-1.0.5'], files: { 'bin/app': 'v6\n', 'lib/common': 'shared\n' } }, keys.privatePem, work));
    assert.equal(await storeFiles(), 3);
    await ctx.database.db.updateTable('releases').set({ state: 'deployed' }).where('id', '=', 'starling-1.0.6').execute();
    let r = await api.request('admin', 'DELETE', '/api/v1/software/releases/starling-1.0.6');
    assert.equal(r.status, 409);
    assert.match(r.body.message, /is deployed; only available, unavailable, upload-failed releases can be deleted/);
    r = await api.request('admin', 'DELETE', '/api/v1/software/releases/starling-1.0.5');
    assert.equal(r.status, 409);
    assert.match(r.body.message, /required by starling-1.0.6 \(deployed\)/);
    await ctx.database.db.updateTable('releases').set({ state: 'unavailable' }).where('id', '=', 'starling-1.0.6').execute();
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/software/releases/starling-1.0.6')).status, 403);
    assert.equal((await api.request('admin', 'DELETE', '/api/v1/software/releases/starling-1.0.6')).status, 204);
    assert.equal(await storeFiles(), 2, 'v6 went; the shared blob stays for 1.0.5');
    assert.equal((await api.request('admin', 'DELETE', '/api/v1/software/releases/starling-1.0.5')).status, 204);
    assert.equal(await storeFiles(), 0);
  });

  test('commit-patch: a deployed patch and the deployed releases it requires become committed, and can no longer be deleted', async () => {
    await trust();
    await upload(await makeBundle({ id: 'starling-1.0.7', files: { 'bin/app': 'v7\n' } }, keys.privatePem, work));
    await upload(await makeBundle({ id: 'starling-1.0.8', requires: ['starling-1.0.7'], files: { 'bin/app': 'v8\n' } }, keys.privatePem, work));
    let r = await api.request('admin', 'POST', '/api/v1/software/releases/starling-1.0.8/commit');
    assert.equal(r.status, 409);
    assert.match(r.body.message, /starling-1.0.8 is available; only a deployed patch can be committed/);
    // This system has no hosts: each deploy goes straight through.
    for (const id of ['starling-1.0.7', 'starling-1.0.8']) {
      for (const [step, body] of [['start', { release: id }], ['activate', {}], ['complete', {}]] as const) {
        const d = await api.request('operator', 'POST', `/api/v1/software/deploy/${step}`, body);
        assert.equal(d.status, 200, d.text);
      }
      assert.equal((await api.request('operator', 'DELETE', '/api/v1/software/deploy')).status, 204);
    }
    assert.equal((await api.request('operator', 'POST', '/api/v1/software/releases/starling-1.0.8/commit')).status, 403, 'admins only');
    r = await api.request('admin', 'POST', '/api/v1/software/releases/starling-1.0.8/commit');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((x: { release_id: string; state: string }) => `${x.release_id} ${x.state}`), ['starling-1.0.7 committed', 'starling-1.0.8 committed']);
    r = await api.request('admin', 'DELETE', '/api/v1/software/releases/starling-1.0.7');
    assert.equal(r.status, 409);
    assert.match(r.body.message, /is committed/);
  });
});
