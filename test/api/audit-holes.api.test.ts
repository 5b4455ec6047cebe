/**
 * Every mutating request has exactly one audit row, whatever the client
 * does: absolute-form request targets, hang-ups right after sending,
 * refused uploads, NUL bytes, denied telemetry, malformed and over-long
 * paths. Over real sockets, since several holes only show on one.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { afterEach, beforeEach, test } from 'node:test';
import type { AuditView } from '../../src/resources/audit/audit.store.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { describeEachBackend } from '../helpers/backends.js';
import { makeBundle, newKeys, packTar, tarEntries } from '../helpers/releases.js';

type AuditRow = AuditView;

/** Sends raw bytes; resolves with the status line's code (or null when `hangUp` closes at once). */
function rawRequest(port: number, bytes: Buffer | string, options: { hangUp?: boolean } = {}): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(bytes);
      if (options.hangUp) {
        socket.destroy();
        resolve(null);
      }
    });
    let reply = '';
    socket.on('data', (d) => (reply += d.toString('latin1')));
    socket.on('error', (err) => (options.hangUp ? undefined : reject(err)));
    socket.on('close', () => {
      if (options.hangUp) return;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(reply);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`no HTTP reply: ${JSON.stringify(reply.slice(0, 200))}`));
    });
  });
}

function requestBytes(method: string, target: string, token: string | null, body?: Buffer | string, contentType = 'application/json'): Buffer {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const head = [
    `${method} ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...(token ? [`Authorization: Bearer ${token}`] : []),
    ...(body === undefined ? [] : [`Content-Type: ${contentType}`, `Content-Length: ${payload.length}`]),
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

describeEachBackend('the audit log has no holes', (ctx) => {
  let api: TestApi;
  let port: number;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    port = (api.app.server.address() as { port: number }).port;
  });
  afterEach(async () => {
    await api.close();
  });

  const audit = async (): Promise<AuditRow[]> => {
    const r = await api.request('admin', 'GET', '/api/v1/audit?limit=500');
    assert.equal(r.status, 200, r.text);
    return r.body.items;
  };
  /** Waits (up to 10 s) until exactly `count` rows match, then checks no more arrive at once. */
  const expectRows = async (match: (row: AuditRow) => boolean, count: number, what: string): Promise<AuditRow[]> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = (await audit()).filter(match);
      if (rows.length >= count || Date.now() > deadline) {
        assert.equal(rows.length, count, `${what}: ${rows.length} audit rows, expected ${count}`);
        return rows;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  test('an absolute-form request target is audited, accepted and denied alike', async () => {
    const target = `http://127.0.0.1:${port}/api/v1/users`;
    const created = await rawRequest(port, requestBytes('POST', target, api.tokens.admin, JSON.stringify({ name: 'absolute1', role: 'reader', password: 'absolute-password-1' })));
    assert.equal(created, 201);
    assert.equal((await api.request('admin', 'GET', '/api/v1/users/absolute1')).status, 200, 'the change was made');
    const denied = await rawRequest(port, requestBytes('POST', target, api.tokens.reader, JSON.stringify({ name: 'absolute2', role: 'admin', password: 'absolute-password-2' })));
    assert.equal(denied, 403);
    const rows = await expectRows((r) => r.route === '/api/v1/users' && r.method === 'POST', 2, 'absolute-form POST /users');
    assert.deepEqual(rows.map((r) => [r.user, r.status, r.outcome, r.source]).sort(), [
      ['admin', 201, 'success', '127.0.0.1'],
      ['reader', 403, 'denied', '127.0.0.1'],
    ]);
  });

  test('a client that hangs up right after sending leaves its audit row, with its address', async () => {
    const made = ['hangup1', 'hangup2', 'hangup3'];
    for (const name of made) {
      await rawRequest(port, requestBytes('POST', '/api/v1/users', api.tokens.admin, JSON.stringify({ name, role: 'admin', password: 'hangup-password-1' })), { hangUp: true });
    }
    await rawRequest(port, requestBytes('PATCH', '/api/v1/users/operator', api.tokens.admin, JSON.stringify({ role: 'admin' })), { hangUp: true });
    await rawRequest(port, requestBytes('DELETE', '/api/v1/users/reader', api.tokens.operator), { hangUp: true });
    const rows = await expectRows((r) => r.route.startsWith('/api/v1/users'), 5, 'hung-up requests');
    for (const row of rows) assert.equal(row.source, '127.0.0.1');
    // Whatever was accepted is in the log: every user that exists was audited as created.
    for (const name of made) {
      const exists = (await api.request('admin', 'GET', `/api/v1/users/${name}`)).status === 200;
      const logged = rows.some((r) => r.target_id === name && r.status === 201);
      assert.equal(logged, exists, `user ${name}: exists ${exists}, audited as created ${logged}`);
    }
    assert.ok(!api.logLines.some((l) => l.includes('audit log write failed')), 'no audit write failed');
  });

  test('refused release uploads are audited, once each', async () => {
    const keys = newKeys();
    assert.equal((await api.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem })).status, 201);
    const bundle = await makeBundle({ id: 'starling-9.0.1', files: { 'bin/app': 'v1\n' } }, keys.privatePem);
    const unsigned = await packTar((await tarEntries(bundle)).filter((e) => e.name !== 'release.sig'));
    const untrusted = await readFile(await makeBundle({ id: 'starling-9.0.2', files: { 'bin/app': 'v2\n' } }, newKeys().privatePem));
    for (const body of [unsigned, untrusted]) {
      const status = await rawRequest(port, requestBytes('POST', '/api/v1/software/releases', api.tokens.admin, body, 'application/octet-stream'));
      assert.equal(status, 400);
    }
    // A blob padded past its signed size: refused from its tar header, and the client is told why rather than cut off.
    const padded = await tarEntries(bundle);
    const blob = padded.find((e) => e.name.startsWith('blobs/'))!;
    blob.body = Buffer.concat([blob.body, Buffer.alloc(8 * 1024 * 1024, 0x41)]);
    const oversized = await fetch(`http://127.0.0.1:${port}/api/v1/software/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/octet-stream' },
      body: await packTar(padded),
    });
    assert.equal(oversized.status, 400);
    assert.match(((await oversized.json()) as { message: string }).message, /bytes where release\.json signs 3 for bin\/app/);
    await expectRows((r) => r.route === '/api/v1/software/releases' && r.status === 400 && r.outcome === 'failure', 3, 'refused uploads');
    assert.ok(!api.logLines.some((l) => l.includes('audit log write failed')), 'no audit write failed');
  });

  test('NUL bytes in paths and queries are refused with the field, never a 500, and still audited', async () => {
    const nul = 'a%00b';
    const list = await api.request('reader', 'GET', `/api/v1/subclouds?name=${nul}`);
    assert.equal(list.status, 400, list.text);
    assert.equal(list.body.field, 'name');
    // Every route, with a NUL in each path parameter: a clear refusal, not a crash.
    for (const route of api.routes) {
      if (!route.url.includes(':')) continue;
      const url = route.url.replace(/:[a-z_]+/g, nul);
      const r = await api.request('admin', route.method as 'GET', url, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
      assert.ok(r.status < 500, `${route.method} ${url}: ${r.status} ${r.text}`);
    }
    const before = (await audit()).length;
    for (const role of ['admin', 'reader'] as const) {
      const r = await api.request(role, 'DELETE', `/api/v1/users/${nul}`);
      assert.ok(r.status === 400 || r.status === 403, `${role}: ${r.status}`);
    }
    assert.equal((await audit()).length, before + 2, 'one row for each DELETE with a NUL');
    const [reader, admin] = (await audit()).slice(0, 2);
    assert.deepEqual([admin!.user, admin!.target_id, reader!.user], ['admin', 'a\uFFFDb', 'reader']);
    assert.ok(!api.logLines.some((l) => l.includes('audit log write failed')), 'no audit write failed');
  });

  test('denied agent and subcloud reports are audited; accepted telemetry is not', async () => {
    for (const [path, token] of [
      ['/api/v1/agent/report', 'sta_forged'],
      ['/api/v1/dc/report', 'stsc_forged'],
      ['/api/v1/dc/report', api.tokens.reader],
    ] as const) {
      const r = await api.request(null, 'POST', path, {}, { authorization: `Bearer ${token}` });
      assert.ok(r.status === 401 || r.status === 403, `${path}: ${r.status}`);
    }
    await expectRows((r) => r.route === '/api/v1/agent/report' && r.outcome === 'denied', 1, 'denied agent report');
    await expectRows((r) => r.route === '/api/v1/dc/report' && r.outcome === 'denied', 2, 'denied subcloud reports');
  });

  test('over-long and malformed paths get the documented error shape, and mutating ones are audited', async () => {
    const long = await api.request('admin', 'DELETE', `/api/v1/users/${'x'.repeat(300)}`);
    assert.equal(long.status, 414, long.text);
    assert.equal(long.body.code, 'invalid_input');
    assert.equal(long.body.field, 'path');
    const bad = await api.request('admin', 'DELETE', '/api/v1/users/%zz');
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.field, 'path');
    await expectRows((r) => r.method === 'DELETE' && (r.status === 414 || r.status === 400) && r.route.startsWith('/api/v1/users'), 2, 'bad paths');
  });
});
