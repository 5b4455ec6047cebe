/**
 * A subcloud fetching a release from its system controller (prestage), two
 * controllers on each backend over real HTTP: the signature is checked
 * before any content moves; a fetch cut part-way resumes from the bytes on
 * disk; the release appears only when whole.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fetchRelease } from '../../src/uplink/release-fetch.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { makeBundle, newKeys } from '../helpers/releases.js';

describeEachBackend('release fetch from the system controller (prestage)', (_ctx, dialect) => {
  let centralDb: TestDatabase;
  let siteDb: TestDatabase;
  let central: TestApi;
  let site: TestApi;
  let url: string;
  const keys = newKeys();
  const payload = randomBytes(2 * 1024 * 1024);

  before(async () => {
    centralDb = await createTestDatabase(dialect);
    siteDb = await createTestDatabase(dialect);
    central = await createTestApi(centralDb);
    site = await createTestApi(siteDb);
    url = await central.app.listen({ port: 0, host: '127.0.0.1' });
    await central.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem });
    const bundle = await makeBundle({ id: 'edge-2.0.1', files: { 'bin/payload': payload, 'etc/conf': 'a=1\n' } }, keys.privatePem);
    const r = await central.request('admin', 'POST', '/api/v1/software/releases', await readFile(bundle), { 'content-type': 'application/octet-stream' });
    assert.equal(r.status, 201, r.text);
  });
  after(async () => {
    await central.close();
    await site.close();
    await centralDb.dispose();
    await siteDb.dispose();
  });

  const fetchOptions = () => ({ db: siteDb.db, store: site.blobs, releases: site.releases, source: { url, token: central.tokens.reader }, releaseId: 'edge-2.0.1' });

  test('a release signed by a key the site does not trust is refused before any content moves', async () => {
    await assert.rejects(fetchRelease(fetchOptions()), /signed with key [0-9a-f]{16}, which this system does not trust/);
    assert.deepEqual(await readdir(join(site.blobs.root, 'partial')), []);
    assert.equal((await site.request('reader', 'GET', '/api/v1/software/releases')).body.items.length, 0);
  });

  test('cut part-way, the fetch resumes from the bytes on disk; the release appears only when whole', async () => {
    await site.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem });
    const big = (await central.request('reader', 'GET', '/api/v1/software/releases/edge-2.0.1')).body.files.find((f: { path: string }) => f.path === 'bin/payload');
    const cut = new AbortController();
    await assert.rejects(
      fetchRelease({ ...fetchOptions(), bytesPerSecond: 4 * 1024 * 1024, signal: cut.signal, progress: (done) => done > 600_000 && cut.abort() }),
      /interrupted|abort/i,
    );
    const partial = (await stat(site.blobs.partialPath(big.sha256))).size;
    assert.ok(partial > 0 && partial < payload.length, `a partial file (${partial} bytes)`);
    assert.equal((await site.request('reader', 'GET', '/api/v1/software/releases')).body.items.length, 0, 'not yet a release');

    const seen: number[] = [];
    await fetchRelease({ ...fetchOptions(), progress: (done) => seen.push(done) });
    assert.ok(seen[1]! >= partial, `resumed from ${seen[1]} bytes, not from 0`);
    const shown = (await site.request('reader', 'GET', '/api/v1/software/releases/edge-2.0.1')).body;
    assert.equal(shown.state, 'available');
    assert.ok((await readFile(site.blobs.pathOf(big.sha256))).equals(payload));
    await assert.rejects(stat(site.blobs.partialPath(big.sha256)), 'the partial file became the blob');
    // Fetched again: nothing to do, still one release.
    await fetchRelease(fetchOptions());
    assert.equal((await site.request('reader', 'GET', '/api/v1/software/releases')).body.items.length, 1);
  });
});
