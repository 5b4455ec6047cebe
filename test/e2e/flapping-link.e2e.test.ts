/**
 * Issue 15, part 1: a real subcloud (`starling serve --role subcloud`) whose
 * link to a real system controller goes through the project's WAN proxy and
 * flaps as a low-orbit satellite link does, scaled down: every long poll is
 * cut by a flap before it ends. With the link up most of the time it must
 * never be marked offline; a real cut still raises 280.001, and the
 * subcloud is back online within seconds of the link's return.
 *
 * Timers, scaled: report (long poll) 8 s; audit window 5 s (offline after
 * two without a report); link up 6 s, down 1 s; reconnect backoff cap 20 s,
 * so a backoff that widens at every flap leaves the 30 s early-retry window
 * with gaps longer than the audit allows; a cut of 40 s (the 5-minute cut,
 * scaled) leaves the backoff at that cap when the link returns.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ImpairmentProxy, parseProfile, seededRandom, WanLink } from '../../src/sim/wan/index.js';
import { startServe } from '../helpers/processes.js';
import { until } from '../helpers/until.js';
import { enrollToken, Site } from '../helpers/e2e-site.js';

const PASSWORD = 'flap-e2e-admin-pw';
const CONTROLLER_ENV = { STARLING_ADMIN_PASSWORD: PASSWORD, STARLING_REPORT_INTERVAL_MS: '8000', STARLING_SUBCLOUD_AUDIT_WINDOW_MS: '5000' };
const SUBCLOUD_ENV = { STARLING_ADMIN_PASSWORD: PASSWORD, STARLING_UPLINK_BACKOFF_CAP_MS: '20000' };
const FLAPPING_MS = 60_000;
/** The long cut: well past the early-retry window, so the backoff has widened to its cap. */
const CUT_MS = 40_000;

describe('a subcloud behind a flapping link', () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-flap-'));
  const children: ChildProcess[] = [];
  let central: Site;
  let link: WanLink;
  let proxy: ImpairmentProxy;

  const offlineRaises = async () =>
    ((await central.ok('GET', '/api/v1/events?alarm_id=280.001&limit=1000')).items as Array<{ alarm_state: string; entity_instance_id: string }>).filter(
      (e) => e.alarm_state === 'set' && e.entity_instance_id.includes('flappy'),
    ).length;
  const availability = async () => (await central.ok('GET', '/api/v1/subclouds/flappy')).availability_status as string;

  before(async () => {
    const served = await startServe(['--role', 'systemcontroller', '--system-name', 'central', '--data-dir', join(home, 'central')], CONTROLLER_ENV);
    children.push(served.child);
    central = new Site('central', served, PASSWORD);
    // Enrolled over a steady link; then the same port is served by a proxy whose link flaps.
    const target = { host: '127.0.0.1', port: Number(new URL(central.url).port), https: true };
    const steady = new ImpairmentProxy({ target, link: new WanLink({ profile: parseProfile('lan'), random: seededRandom('flap-e2e') }) });
    await steady.start();
    const token = enrollToken(await central.cli(home, 'subcloud', 'add', 'flappy', '--location', 'low orbit'));
    const subcloud = await startServe(['--role', 'subcloud', '--system-name', 'flappy', '--data-dir', join(home, 'flappy'), '--system-controller', steady.url, '--enroll-token', token], SUBCLOUD_ENV);
    children.push(subcloud.child);
    await until('online', async () => (await availability()) === 'online', 60_000);
    await steady.stop();
    link = new WanLink({ profile: parseProfile('lan,latency=20,flap=6s/1s'), random: seededRandom('flap-e2e') });
    proxy = new ImpairmentProxy({ target, link, port: Number(new URL(steady.url).port) });
    await proxy.start();
  });

  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  after(async () => {
    killAll();
    await proxy?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('every long poll is cut by a flap, and still the subcloud is never offline', async () => {
    const raisedBefore = await offlineRaises();
    const droppedBefore = proxy.stats.dropped;
    const end = Date.now() + FLAPPING_MS;
    const seen = new Set<string>();
    while (Date.now() < end) {
      seen.add(await availability());
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(proxy.stats.dropped - droppedBefore >= 5, `the flaps cut connections (${proxy.stats.dropped - droppedBefore})`);
    assert.deepEqual([...seen], ['online']);
    assert.equal((await offlineRaises()) - raisedBefore, 0, 'no 280.001 while the link was up most of the time');
  });

  test('a long cut raises 280.001; the subcloud is online within 5 s of the link coming back, though its backoff is at the cap', async () => {
    const cutAt = Date.now();
    link.cut();
    await until('offline, 280.001 raised', async () => (await availability()) === 'offline', 30_000);
    assert.ok((await offlineRaises()) >= 1);
    // Past the 30 s early-retry window: retries are now up to the 20 s cap apart (45 s in production).
    await new Promise((r) => setTimeout(r, Math.max(0, cutAt + CUT_MS - Date.now())));
    link.restore();
    const back = Date.now();
    await until('online again', async () => (await availability()) === 'online', 30_000, 100);
    const tookMs = Date.now() - back;
    // The backoff wait is cut short by the reachability probe (every 0.5-1.5 s, then up to 1 s of spread, then one report).
    assert.ok(tookMs < 5_000, `online ${tookMs} ms after the link returned`);
  });
});
