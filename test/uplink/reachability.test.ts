import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { probingSleep, tcpReachable } from '../../src/uplink/reachability.js';

const listen = (onConnection: (s: net.Socket) => void) =>
  new Promise<net.Server>((resolve) => {
    const server = net.createServer(onConnection);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
const urlOf = (server: net.Server) => `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
const close = (server: net.Server) => new Promise((r) => server.close(r));
const OPTIONS = { holdMs: 100, timeoutMs: 1000 };

test('a port that accepts and keeps the connection open is reachable', async () => {
  const held: net.Socket[] = [];
  const server = await listen((s) => held.push(s));
  assert.equal(await tcpReachable(urlOf(server), OPTIONS), true);
  held.forEach((s) => s.destroy());
  await close(server);
});

test('a closed port, and a proxy that accepts then resets (its link is down), are not', async () => {
  const resetting = await listen((s) => s.resetAndDestroy());
  assert.equal(await tcpReachable(urlOf(resetting), OPTIONS), false);
  const url = urlOf(resetting);
  await close(resetting);
  assert.equal(await tcpReachable(url, OPTIONS), false);
});

test('a probing sleep ends early when a probe gets through, and sleeps it out without a probe', async () => {
  const onWake = () => undefined;
  let probes = 0;
  const started = performance.now();
  const how = await probingSleep({ delayMs: 60_000, intervalMs: 50, spreadMs: 50, random: () => 0.5, onWake, probe: async () => ++probes >= 3 });
  assert.equal(how, 'reachable');
  assert.equal(probes, 3, 'probed until one got through');
  assert.ok(performance.now() - started < 10_000);
  assert.equal(await probingSleep({ delayMs: 30, intervalMs: 10, spreadMs: 10, random: () => 0.5, onWake, probe: undefined }), 'slept');
  assert.equal(await probingSleep({ delayMs: 30, intervalMs: 10, spreadMs: 10, random: () => 0.5, onWake, probe: async () => false }), 'slept', 'no probe got through');
  let wake: (() => void) | undefined;
  const woken = probingSleep({ delayMs: 60_000, intervalMs: 10_000, spreadMs: 10, random: () => 0.5, onWake: (w) => (wake = w), probe: undefined });
  wake!();
  assert.equal(await woken, 'woken');
});
