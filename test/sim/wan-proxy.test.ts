/** The impairment proxy: a real TCP proxy applying a WAN link, through real HTTP. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { ImpairmentProxy, PROFILES, WanLink, seededRandom, type Random, type WanProfile } from '../../src/sim/wan/index.js';

const MINUTE = 60_000;

/** A stream that always draws `value`: phase 0, and losses chosen by the test. */
const fixed = (value: number): Random => ({ next: () => value, fork: () => fixed(value) });

const profile = (overrides: Partial<WanProfile>): WanProfile => ({ name: 'test', latencyMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0, ...overrides });

describe('impairment proxy', () => {
  let server: http.Server;
  let port: number;
  const serverSockets: net.Socket[] = [];
  const hanging: http.ServerResponse[] = [];
  let onHang: () => void = () => {};
  const proxies: ImpairmentProxy[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/hang') {
        hanging.push(res);
        onHang();
        return;
      }
      const size = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
      if (size) return void res.end(Buffer.alloc(Number(size[1]), 'x'));
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(Buffer.concat(chunks)));
    });
    server.on('connection', (s) => serverSockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const proxyFor = async (p: WanProfile, random: Random = seededRandom(1)) => {
    const proxy = new ImpairmentProxy({ target: { host: '127.0.0.1', port }, link: new WanLink({ profile: p, random }) });
    proxies.push(proxy);
    await proxy.start();
    return proxy;
  };

  const request = (url: string, path = '/', body = ''): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(`${url}${path}`, { method: 'POST', agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  it('carries an HTTP round trip and counts the bytes each way', async () => {
    const proxy = await proxyFor(PROFILES.lan);
    assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const before = serverSockets.length;
    assert.deepEqual(await request(proxy.url, '/', 'hello over the wan'), { status: 200, body: 'hello over the wan' });
    const mine = serverSockets.slice(before);
    assert.equal(mine.length, 1);
    const stats = proxy.stats;
    assert.equal(stats.connections, 1);
    assert.equal(stats.bytesToTarget, mine[0]!.bytesRead, 'every byte the server read crossed the proxy');
    assert.equal(stats.bytesToClient, mine[0]!.bytesWritten, 'every byte the server wrote crossed the proxy');
    assert.ok(stats.bytesToClient > 'hello over the wan'.length);
  });

  it('adds the latency: a handshake round trip, then one each way', async () => {
    const latencyMs = 40;
    const proxy = await proxyFor(profile({ latencyMs }));
    const start = performance.now();
    assert.equal((await request(proxy.url, '/', 'ping')).body, 'ping');
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 4 * latencyMs, `took ${elapsed.toFixed(1)} ms`);
  });

  it('caps the bandwidth', async () => {
    const proxy = await proxyFor(profile({ bandwidthBps: 1_000_000 }));
    const bytes = 32 * 1024;
    const start = performance.now();
    assert.equal((await request(proxy.url, `/bytes/${bytes}`)).body.length, bytes);
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= (bytes * 8 * 1000) / 1_000_000, `took ${elapsed.toFixed(1)} ms`);
  });

  it('turns loss into retransmission delay, never lost data', async () => {
    const proxy = await proxyFor(profile({ latencyMs: 5, loss: 1 }));
    const body = 'y'.repeat(100_000);
    assert.equal((await request(proxy.url, '/', body)).body, body);
    assert.ok(proxy.stats.retransmits >= 2);
  });

  it('cut() drops open connections and refuses new ones; restore() reopens on the same port', async () => {
    const proxy = await proxyFor(PROFILES.lan);
    const arrived = new Promise<void>((resolve) => (onHang = resolve));
    const open = request(proxy.url, '/hang');
    await arrived;
    assert.equal(proxy.stats.open, 1);
    proxy.cut();
    await assert.rejects(open, (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
    await assert.rejects(request(proxy.url, '/', 'x'), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
    assert.equal(proxy.stats.dropped, 1);
    assert.equal(proxy.stats.refused, 1);
    assert.equal(proxy.stats.open, 0);
    const url = proxy.url;
    proxy.restore();
    assert.equal(proxy.url, url);
    assert.equal((await request(proxy.url, '/', 'back')).body, 'back');
  });

  it('drops connections when the schedule takes the link down', async () => {
    // Up for 200 ms from the start, then down for a minute: past the test's end.
    const proxy = await proxyFor(profile({ flap: { upMs: 200, downMs: MINUTE } }), fixed(0));
    await assert.rejects(request(proxy.url, '/hang'), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
    const { dropped, refused } = proxy.stats;
    assert.equal(dropped + refused, 1, 'dropped when the flap began (or refused, on a very slow machine)');
    await assert.rejects(request(proxy.url, '/'), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET');
  });

  it('stop() closes the port', async () => {
    const proxy = await proxyFor(PROFILES.lan);
    await proxy.stop();
    await assert.rejects(request(proxy.url, '/'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  });
});
