import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { downloadBlob } from '../../src/protocol/resumable-download.js';
import { useLiveApi } from '../helpers/live-api.js';
import { makeBundle, newKeys } from '../helpers/releases.js';

/** fetch over a link that drops after `limit` bytes of body (the WAN edge). */
const droppingFetch = (limit: number): typeof fetch => async (input, init) => {
  const res = await fetch(input, init);
  let sent = 0;
  let dropped = false;
  const reader = res.body!.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (dropped) return controller.error(new Error('connection reset'));
      const { done, value } = await reader.read();
      if (done) return controller.close();
      const room = limit - sent;
      if (value.length >= room) {
        controller.enqueue(value.subarray(0, room));
        sent += room;
        dropped = true;
        await reader.cancel();
        return;
      }
      sent += value.length;
      controller.enqueue(value);
    },
  });
  return new Response(body, { status: res.status, headers: res.headers });
};

describe('resumable blob download over HTTP Range', () => {
  const live = useLiveApi();

  test('a transfer cut part-way resumes from the byte it reached, and the result is verified', async () => {
    const work = await mkdtemp(join(tmpdir(), 'download-'));
    const keys = newKeys();
    await live.api.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem });
    const content = Buffer.alloc(3 * 1024 * 1024, 'abcdefgh');
    const bundle = await makeBundle({ id: 'big-1', files: { 'data/big': content } }, keys.privatePem, work);
    const up = await live.api.request('admin', 'POST', '/api/v1/software/releases', await readFile(bundle), { 'content-type': 'application/octet-stream' });
    assert.equal(up.status, 201, up.text);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const d = { url: `${live.url}/api/v1/software/releases/big-1/blobs/${sha256}`, headers: { authorization: `Bearer ${live.api.tokens.reader}` }, dest: join(work, 'blob'), sha256, size: content.length };

    await assert.rejects(downloadBlob({ ...d, fetch: droppingFetch(1_000_000) }), /transfer interrupted after 1000000 of 3145728 bytes/);
    assert.equal((await stat(d.dest)).size, 1_000_000, 'what arrived is kept');
    await assert.rejects(downloadBlob({ ...d, fetch: droppingFetch(1_000_000) }), /after 2000000 of/);
    const last = await downloadBlob(d);
    assert.equal(last, content.length - 2_000_000, 'only the rest was transferred');
    assert.ok((await readFile(d.dest)).equals(content));
    assert.equal(await downloadBlob(d), 0, 'a whole, verified file is not fetched again');

    // A corrupt partial file is found out at the end and discarded.
    await writeFile(d.dest, Buffer.alloc(1000, 'x'));
    await assert.rejects(downloadBlob(d), /does not match its digest/);
    await assert.rejects(stat(d.dest));
    await rm(work, { recursive: true, force: true });
  });

  test('a cap on bytes per second paces the transfer', async () => {
    const work = await mkdtemp(join(tmpdir(), 'download-'));
    const keys = newKeys();
    await live.api.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem });
    const content = Buffer.alloc(400 * 1024, 'z');
    await live.api.request('admin', 'POST', '/api/v1/software/releases', await readFile(await makeBundle({ id: 'paced-1', files: { blob: content } }, keys.privatePem, work)), {
      'content-type': 'application/octet-stream',
    });
    const sha256 = createHash('sha256').update(content).digest('hex');
    const started = Date.now();
    await downloadBlob({ url: `${live.url}/api/v1/software/releases/paced-1/blobs/${sha256}`, headers: { authorization: `Bearer ${live.api.tokens.reader}` }, dest: join(work, 'b'), sha256, size: content.length, bytesPerSecond: 1024 * 1024 });
    // 400 KiB at 1 MiB/s cannot take less than ~0.39 s (a lower bound, not a timing benchmark).
    assert.ok(Date.now() - started >= 350, `took ${Date.now() - started} ms`);
    await rm(work, { recursive: true, force: true });
  });
});
