/**
 * Issue 14, items 8 and 9: a slow client cannot hold a connection for ever,
 * one address cannot open connections without limit, and X-Forwarded-For is
 * believed only from the configured proxies.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { loadServerConfig } from '../../src/core/server-config.js';
import type { ConfigError } from '../../src/core/errors.js';
import { createTestApi, PASSWORDS } from '../helpers/api.js';
import { createTestDatabase, describeEachBackend } from '../helpers/backends.js';

/** Resolves with what the server sent once it closes the socket; rejects if it is still open after `boundMs`. */
function closedByServer(socket: Socket, boundMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    const timer = setTimeout(() => reject(new Error(`still open after ${boundMs} ms; received ${JSON.stringify(received)}`)), boundMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', () => undefined);
  });
}

async function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

const getHealthz = (socket: Socket) =>
  new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      if (text.includes('\r\n\r\n')) resolve(text.split('\r\n')[0]!);
    });
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  });

describe('slow and greedy clients', () => {
  test('a client that never finishes its headers is disconnected', async () => {
    const database = await createTestDatabase('sqlite');
    const api = await createTestApi(database, { headersTimeoutMs: 500 });
    let socket: Socket | undefined;
    try {
      const port = new URL(await api.app.listen({ port: 0, host: '127.0.0.1' })).port;
      socket = await open(Number(port));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
      const sent = await closedByServer(socket, 5000);
      assert.match(sent, /^HTTP\/1\.1 408/);
    } finally {
      socket?.destroy();
      await api.close();
      await database.dispose();
    }
  });

  test('a client that trickles its body is disconnected at the request timeout', async () => {
    const database = await createTestDatabase('sqlite');
    const api = await createTestApi(database, { requestTimeoutMs: 1500, headersTimeoutMs: 500 });
    let socket: Socket | undefined;
    try {
      const port = new URL(await api.app.listen({ port: 0, host: '127.0.0.1' })).port;
      socket = await open(Number(port));
      socket.write(`POST /api/v1/alarms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.operator}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"alarm_id"`);
      const drip = setInterval(() => socket?.writable && socket.write(' '), 200);
      try {
        const sent = await closedByServer(socket, 6000);
        assert.match(sent, /^HTTP\/1\.1 408/);
      } finally {
        clearInterval(drip);
      }
      const alarms = await api.request('reader', 'GET', '/api/v1/alarms');
      assert.equal(alarms.body.items.length, 0, 'nothing was written');
    } finally {
      socket?.destroy();
      await api.close();
      await database.dispose();
    }
  });

  test('connections over the per-address cap are closed on arrival; other addresses and trusted proxies are not held to it', async () => {
    const database = await createTestDatabase('sqlite');
    const api = await createTestApi(database, { maxConnectionsPerAddress: 3, trustProxy: '127.0.0.9' });
    const sockets: Socket[] = [];
    try {
      const port = Number(new URL(await api.app.listen({ port: 0, host: '127.0.0.1' })).port);
      for (let i = 0; i < 3; i++) sockets.push(await open(port));
      const over = await open(port);
      sockets.push(over);
      assert.equal(await closedByServer(over, 5000), '', 'the fourth is closed without a byte');
      assert.equal(await getHealthz(sockets[0]!), 'HTTP/1.1 200 OK', 'the first three still work');

      // Another address has its own count; a trusted proxy has none.
      const other = await open(port, '127.0.0.2');
      sockets.push(other);
      assert.equal(await getHealthz(other), 'HTTP/1.1 200 OK');
      for (let i = 0; i < 6; i++) sockets.push(await open(port, '127.0.0.9'));
      assert.equal(await getHealthz(sockets.at(-1)!), 'HTTP/1.1 200 OK');

      // A closed connection frees its place.
      sockets[1]!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const again = await open(port);
      sockets.push(again);
      assert.equal(await getHealthz(again), 'HTTP/1.1 200 OK');

      const metrics = await api.request(null, 'GET', '/metrics');
      assert.match(metrics.text, /^starling_connections_refused_total 1$/m);
    } finally {
      for (const s of sockets) s.destroy();
      await api.close();
      await database.dispose();
    }
  });
});

describe('--trust-proxy takes proxies, not a yes', () => {
  test('true is refused with the reason; addresses, CIDRs, loopback and hop counts are taken; nonsense names the entry', () => {
    assert.throws(
      () => loadServerConfig({ env: { STARLING_TRUST_PROXY: 'true' } }),
      (e: ConfigError) => e.key === 'trustProxy' && /any client's X-Forwarded-For/.test(e.message) && /STARLING_TRUST_PROXY/.test(e.message),
    );
    assert.throws(() => loadServerConfig({ env: {}, flags: { trustProxy: '10.0.0.0/33' } }), (e: ConfigError) => e.key === 'trustProxy' && /"10.0.0.0\/33"/.test(e.message));
    assert.throws(() => loadServerConfig({ env: {}, flags: { trustProxy: '0' } }), (e: ConfigError) => e.key === 'trustProxy' && /hop count/.test(e.message));
    for (const good of ['10.0.0.5', '10.1.0.0/16,fd00::/8', 'loopback', '2']) assert.equal(loadServerConfig({ env: {}, flags: { trustProxy: good } }).trustProxy, good);
  });
});

describeEachBackend('X-Forwarded-For from a trusted proxy only', (ctx) => {
  test('a client cannot pick its address: the login limit holds and the audit source is the real one', async () => {
    const api = await createTestApi(ctx.database, { trustProxy: '10.0.0.1' });
    try {
      const login = (user: string, forwarded: string, peer: string) =>
        api.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: peer, headers: { 'x-forwarded-for': forwarded }, payload: { username: user, password: 'wrong-password' } });

      // Through the trusted proxy: it appends the real client; what the client wrote before that is ignored.
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await login(`nobody-${i}`, `198.18.${i}.1, 203.0.113.9`, '10.0.0.1')).statusCode);
      assert.deepEqual([...new Set(statuses.slice(0, 20))], [401]);
      assert.deepEqual([...new Set(statuses.slice(20))], [429], 'the per-address limit holds whatever the client forwards');

      // Straight from an untrusted peer: its X-Forwarded-For is not believed at all.
      await login('nobody-x', '1.2.3.4', '198.51.100.7');
      const sources = await ctx.database.db.selectFrom('audit_log').select(['source', 'user_name']).where('route', '=', '/api/v1/auth/login').where('user_name', 'like', 'nobody-%').orderBy('seq').execute();
      assert.deepEqual([...new Set(sources.slice(0, 25).map((r) => r.source))], ['203.0.113.9']);
      assert.equal(sources.at(-1)!.source, '198.51.100.7');

      // The real admin, from elsewhere, is unaffected.
      const ok = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': '192.0.2.10' }, payload: { username: 'admin', password: PASSWORDS.admin } });
      assert.equal(ok.statusCode, 200);
    } finally {
      await api.close();
    }
  });
});
