import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

describeEachBackend('maintenance: heartbeat, failure, recovery, MNFA', (ctx) => {
  let api: TestApi;
  const creds: Record<string, string> = {};
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { systemMode: 'duplex', reportIntervalMs: 1000 });
    for (const [hostname, personality] of [['controller-0', 'controller'], ['controller-1', 'controller'], ['worker-0', 'worker']]) {
      const added = await api.request('admin', 'POST', '/api/v1/hosts', { hostname, personality });
      creds[hostname!] = (await api.request(null, 'POST', '/api/v1/agent/enroll', { token: added.body.enroll_token, hostname })).body.credential;
    }
  });
  afterEach(() => api.close());

  const report = (hostname: string, extra: Record<string, unknown> = {}) =>
    api.request(null, 'POST', '/api/v1/agent/report', { seq: 1, status_hash: 'h', ops: [], known_generation: 0, wait_ms: 0, ...extra }, { authorization: `Bearer ${creds[hostname]}` });
  const unlock = (hostname: string) => ctx.database.db.updateTable('hosts').set({ administrative: 'unlocked' }).where('hostname', '=', hostname).execute();
  const host = async (hostname: string) => (await api.request('reader', 'GET', `/api/v1/hosts/${hostname}`)).body;
  // Heartbeat alarms only: locked hosts also carry 200.001.
  const alarms = async () => ((await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=200.004,200.005')).body.items as Array<{ alarm_id: string; entity_instance_id: string; severity: string }>).map((a) => `${a.alarm_id} ${a.entity_instance_id} ${a.severity}`).sort();
  /** Every host reports with its configuration applied, as an agent does after its first exchange. */
  const reportAll = async () => {
    for (const h of Object.keys(creds)) {
      const { config_target } = await host(h);
      const status = { boot_id: 'b', booted_at: 0, agent_version: 't', inventory: {}, applied: { generation: 1, config_token: config_target }, completed_actions: [] };
      await report(h, { status });
    }
  };

  test('one host stops reporting: degraded at 6 pulses, failed with recovery at 10, back to normal on its next report', async () => {
    await unlock('worker-0');
    await reportAll();
    assert.equal((await host('worker-0')).availability, 'available');
    api.clock.advance(5_000);
    await report('controller-0');
    await report('controller-1');
    assert.deepEqual(await api.heartbeat.tick(), []);
    api.clock.advance(1_500); // worker-0: 6.5 s without a report
    await report('controller-0');
    await report('controller-1');
    const degraded = await api.heartbeat.tick();
    assert.deepEqual(degraded.map((t) => [t.hostname, t.to]), [['worker-0', 'degraded']]);
    assert.equal((await host('worker-0')).availability, 'degraded');
    assert.deepEqual(await alarms(), ['200.005 host=worker-0.network=mgmt major']);

    api.clock.advance(4_000);
    await report('controller-0');
    await report('controller-1');
    const failed = await api.heartbeat.tick();
    assert.deepEqual(failed.map((t) => [t.hostname, t.to, t.recovery]), [['worker-0', 'failed', true]]);
    const w = await host('worker-0');
    assert.equal(w.availability, 'failed');
    assert.equal(w.operational, 'disabled');
    assert.deepEqual(await alarms(), ['200.004 host=worker-0 critical', '200.005 host=worker-0.network=mgmt critical']);

    // The agent comes back: it finds the recovery request in its desired state, and the alarms clear.
    const back = await report('worker-0');
    assert.deepEqual(back.body.desired.actions.map((a: { kind: string }) => a.kind), ['recover']);
    assert.deepEqual(await alarms(), []);
    assert.equal((await host('worker-0')).availability, 'available');
  });

  test('two hosts losing heartbeat at once: alarms, but no recovery actions (MNFA)', async () => {
    await unlock('worker-0');
    await unlock('controller-1');
    await reportAll();
    api.clock.advance(11_000);
    await report('controller-0');
    const t = await api.heartbeat.tick();
    assert.deepEqual(t.map((x) => [x.hostname, x.to, x.recovery]).sort(), [['controller-1', 'failed', false], ['worker-0', 'failed', false]]);
    const a = await alarms();
    assert.equal(a.filter((x) => x.startsWith('200.004')).length, 2);
    const r = await report('worker-0');
    assert.deepEqual(r.body.desired.actions, [], 'no recovery was asked');
  });

  test('a host that failed long ago does not make a new single failure look like MNFA', async () => {
    await unlock('worker-0');
    await unlock('controller-1');
    await reportAll();
    api.clock.advance(11_000);
    await report('controller-0');
    await report('controller-1');
    assert.deepEqual((await api.heartbeat.tick()).map((t) => [t.hostname, t.recovery]), [['worker-0', true]]);
    api.clock.advance(11_000); // worker-0 stays dead; now controller-1 fails too
    await report('controller-0');
    const t = await api.heartbeat.tick();
    assert.deepEqual(t.map((x) => [x.hostname, x.to, x.recovery]), [['controller-1', 'failed', true]], 'recovery is still asked for the new failure');
  });

  test('a locked host that stops reporting just goes offline, without alarms', async () => {
    await reportAll();
    api.clock.advance(11_000);
    await report('controller-0');
    await report('controller-1');
    await api.heartbeat.tick();
    assert.equal((await host('worker-0')).availability, 'offline');
    assert.deepEqual(await alarms(), []);
  });

  test('after a controller restart every host gets a full window before it is judged', async () => {
    await unlock('worker-0');
    await reportAll();
    api.clock.advance(60_000); // the controller was down for a minute
    const { HeartbeatMonitor } = await import('../../src/resources/hosts/heartbeat.monitor.js');
    const { silentLogger } = await import('../../src/core/logging.js');
    const restarted = new HeartbeatMonitor({
      db: ctx.database.db,
      dialect: ctx.database.dialect,
      clock: api.clock,
      fault: api.fault,
      waiters: api.waiters,
      policy: { intervalMs: 1000, degradePulses: 6, failPulses: 10 },
      startedAt: api.clock.now(),
      log: silentLogger(),
    });
    assert.deepEqual(await restarted.tick(), [], 'no host is failed for the controller having been away');
    api.clock.advance(6_500);
    assert.equal((await restarted.tick()).length, 3, 'then the normal thresholds apply');
  });
});
