/**
 * A controller and three real agent processes on loopback, each with its own
 * hostname and state folder, pulsing the host heartbeat over UDP every
 * 100 ms (degraded after 6 missed pulses = 0.6 s, failed after 10 = 1 s) and
 * reporting every 2 s.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN, startServe, type Served } from '../helpers/processes.js';
import { testFetch } from '../helpers/tls.js';

const PULSE = 100;
const REPORT_INTERVAL = 2000;
const HOSTS = [
  ['controller-0', 'controller'],
  ['controller-1', 'controller'],
  ['worker-0', 'worker'],
] as const;

describe('a site: controller and three agents as real processes', () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-site-'));
  const dataDir = join(home, 'controller');
  const env = { STARLING_REPORT_INTERVAL_MS: String(REPORT_INTERVAL), STARLING_HEARTBEAT_PERIOD_MS: String(PULSE), STARLING_ADMIN_PASSWORD: 'site-e2e-admin' };
  let controller: Served;
  let token = '';
  const agents = new Map<string, ChildProcess>();
  const tokens = new Map<string, string>();

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await testFetch(`${controller.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const login = async () => {
    const res = await testFetch(`${controller.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'site-e2e-admin' }) });
    token = ((await res.json()) as { token: string }).token;
  };
  const startAgent = (hostname: string) => {
    const t = tokens.get(hostname);
    tokens.delete(hostname); // one use
    const child = spawn(
      process.execPath,
      // Real inventory from this machine; configuration applied by the sim driver (this machine has no kernels in /boot to switch).
      [BIN, 'agent', '--controller', controller.url, '--hostname', hostname, '--state-dir', join(home, hostname), '--driver', 'sim', '--log-level', 'warn', ...(t ? ['--enroll-token', t] : [])],
      { env: { PATH: process.env.PATH ?? '', HOME: home }, stdio: 'ignore' },
    );
    agents.set(hostname, child);
  };
  const kill = (hostname: string) => {
    agents.get(hostname)?.kill('SIGKILL');
    agents.delete(hostname);
  };
  const host = async (hostname: string) => (await api('GET', `/api/v1/hosts/${hostname}`)).body;
  const until = async (what: string, pred: () => Promise<boolean>, ms = 20_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await pred()) return Date.now();
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out after ${ms} ms waiting for ${what}`);
  };
  const alarms = async (ids: string) => ((await api('GET', `/api/v1/alarms?alarm_id=${ids}`)).body.items as Array<{ alarm_id: string; entity_instance_id: string }>).map((a) => `${a.alarm_id} ${a.entity_instance_id}`).sort();
  const state = async (hostname: string) => {
    const h = await host(hostname);
    return `${h.administrative}/${h.operational}/${h.availability}`;
  };

  before(async () => {
    controller = await startServe(['--data-dir', dataDir, '--system-mode', 'duplex'], env);
    await login();
    for (const [hostname, personality] of HOSTS) {
      const r = await api('POST', '/api/v1/hosts', { hostname, personality });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      tokens.set(hostname, r.body.enroll_token);
    }
  });
  after(async () => {
    for (const h of [...agents.keys()]) kill(h);
    controller?.child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  test('agents enroll and report the real CPU topology', async () => {
    for (const [hostname] of HOSTS) startAgent(hostname);
    for (const [hostname] of HOSTS) await until(`${hostname} online`, async () => (await host(hostname)).availability === 'online');
    const inv = (await host('worker-0')).inventory;
    assert.equal(inv.cpu.threads, cpus().length);
    assert.ok(inv.cpu.cpus.every((c: { id: number; siblings: number[] }) => c.siblings.includes(c.id)));
  });

  test('lock, configure, unlock: 250.001 until applied, then available', async () => {
    const k = await api('POST', '/api/v1/hosts/controller-0/kernel', { kernel: 'lowlatency' });
    assert.equal(k.status, 200);
    await until('250.001 cleared on controller-0', async () => (await alarms('250.001')).length === 0);
    for (const [hostname] of HOSTS) assert.equal((await api('POST', `/api/v1/hosts/${hostname}/actions`, { action: 'unlock' })).status, 200);
    for (const [hostname] of HOSTS) await until(`${hostname} available`, async () => (await state(hostname)) === 'unlocked/enabled/available');
    assert.deepEqual(await alarms('200.001'), [], 'no host is locked');
  });

  test('one agent killed: degraded then failed with alarms in their windows; restarted: available, alarms cleared', async () => {
    const killedAt = Date.now();
    kill('worker-0');
    await until('worker-0 failed', async () => (await host('worker-0')).availability === 'failed', 10_000);
    // Degraded lasts only 4 pulses: read when each happened from the event log, not by polling.
    const events = (await api('GET', '/api/v1/events?alarm_id=200.004,200.005&entity=host=worker-0')).body.items as Array<{ alarm_id: string; alarm_state: string; severity: string; timestamp: string }>;
    const when = (id: string, severity: string) => Date.parse(events.filter((e) => e.alarm_id === id && e.alarm_state === 'set' && e.severity === severity).map((e) => e.timestamp).sort().at(-1) ?? '');
    const degradedAt = when('200.005', 'major');
    const failedAt = when('200.004', 'critical');
    assert.ok(degradedAt - killedAt >= 6 * PULSE - 200, `degraded after ${degradedAt - killedAt} ms, not before 6 pulses`);
    assert.ok(failedAt - killedAt <= 10 * PULSE + 1500, `failed after ${failedAt - killedAt} ms, not within 10 pulses`);
    assert.ok(failedAt > degradedAt, 'degraded, then failed');
    assert.ok(failedAt - killedAt < 10 * REPORT_INTERVAL, 'failed by the heartbeat, not by missed reports');
    assert.deepEqual(await alarms('200.004,200.005'), ['200.004 host=worker-0', '200.005 host=worker-0.network=mgmt']);
    assert.equal((await host('worker-0')).task, 'Recovering', 'recovery was requested');
    startAgent('worker-0');
    await until('worker-0 back', async () => (await state('worker-0')) === 'unlocked/enabled/available');
    assert.deepEqual(await alarms('200.004,200.005'), []);
    // The agent carries out the recovery waiting in its desired state and says so; until it
    // has, the host's task stays Recovering (a host killed before that keeps it, rightly).
    await until('worker-0 recovery carried out', async () => (await host('worker-0')).task === null);
  });

  test('two agents killed at once: alarms but no recovery (MNFA); the controller restarts meanwhile; nothing is stuck', async () => {
    kill('worker-0');
    kill('controller-1');
    await until('both failed', async () => (await host('worker-0')).availability === 'failed' && (await host('controller-1')).availability === 'failed', 15_000);
    assert.deepEqual(await alarms('200.004'), ['200.004 host=controller-1', '200.004 host=worker-0']);
    const reasons = ((await api('GET', '/api/v1/alarms?alarm_id=200.004')).body.items as Array<{ reason_text: string }>).map((a) => a.reason_text);
    assert.ok(reasons.every((r) => r.includes('multi-node failure avoidance')), `200.004 reasons: ${reasons.join(' | ')}`);
    assert.equal((await host('worker-0')).task, null, 'no recovery action under MNFA');
    assert.equal((await host('controller-1')).task, null);

    const port = new URL(controller.url).port;
    controller.child.kill('SIGTERM');
    assert.equal(await controller.exited, 0);
    const restartedAt = Date.now();
    controller = await startServe(['--data-dir', dataDir, '--system-mode', 'duplex', '--port', port], env);
    await login();
    // controller-0's agent reconnects on its own (backoff); the other two restart.
    for (const h of ['worker-0', 'controller-1']) startAgent(h);
    for (const [hostname] of HOSTS) {
      let last = '';
      await until(`${hostname} available after the controller restart (last: ${() => last})`, async () => (last = JSON.stringify(await host(hostname))).includes('"availability":"available"'), 30_000).catch((err: Error) => {
        throw new Error(`${err.message}; host was ${last}`);
      });
    }
    assert.deepEqual(await alarms('200.004,200.005'), []);
    await until('controller-0 reporting to the restarted controller', async () => Date.parse((await host('controller-0')).last_report_at) > restartedAt);
  });

  test('the active controller dies: the standby becomes active by itself; the old one comes back as standby', async () => {
    assert.equal((await host('controller-0')).controller_role, 'active');
    // The restarted controller hands out new heartbeat sessions; wait until controller-0 pulses on its own.
    await until('controller-0 on the heartbeat', async () => (await state('controller-0')) === 'unlocked/enabled/available', 30_000);
    kill('controller-0');
    await until('controller-1 active', async () => (await host('controller-1')).controller_role === 'active', 10_000);
    const c0 = await host('controller-0');
    assert.equal(c0.availability, 'failed');
    assert.equal(c0.controller_role, 'standby');
    assert.deepEqual(await alarms('200.004'), ['200.004 host=controller-0']);
    startAgent('controller-0');
    await until('controller-0 back', async () => (await state('controller-0')) === 'unlocked/enabled/available', 30_000);
    assert.equal((await host('controller-0')).controller_role, 'standby');
    assert.equal((await host('controller-1')).controller_role, 'active');
  });
});
