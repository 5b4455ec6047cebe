/**
 * The host heartbeat (UDP pulses) on both backends, on the controller's
 * manual clock: sessions handed out in report replies, degraded and failed
 * at 6 and 10 missed pulses, forged and replayed pulses ignored, back at the
 * next pulse, MNFA, and the active controller's failure handing the active
 * role to the standby.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { until } from '../helpers/until.js';
import { encodePulse, pulseKey, type PulseSession } from '../../src/protocol/pulse-wire.js';

const PERIOD = 100;
const HOSTS = [
  ['controller-0', 'controller'],
  ['controller-1', 'controller'],
  ['worker-0', 'worker'],
] as const;

describeEachBackend('host heartbeat: pulses, failure in a second, swact on failure', (ctx) => {
  let api: TestApi;
  const creds: Record<string, string> = {};
  const sessions: Record<string, PulseSession> = {};
  const seqs: Record<string, number> = {};

  const report = (hostname: string, extra: Record<string, unknown> = {}) =>
    api.request(null, 'POST', '/api/v1/agent/report', { seq: 1, status_hash: 'h', ops: [], known_generation: 0, wait_ms: 0, ...extra }, { authorization: `Bearer ${creds[hostname]}` });
  const host = async (hostname: string) => (await api.request('reader', 'GET', `/api/v1/hosts/${hostname}`)).body;
  const alarms = async () =>
    ((await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=200.004,200.005')).body.items as Array<{ alarm_id: string; entity_instance_id: string; severity: string }>)
      .map((a) => `${a.alarm_id} ${a.entity_instance_id} ${a.severity}`)
      .sort();
  const pulse = (hostname: string, key = sessions[hostname]!.key) => api.pulses.receive(encodePulse(Buffer.from(sessions[hostname]!.session, 'hex'), (seqs[hostname] = (seqs[hostname] ?? 0) + 1), pulseKey(key)));
  /** `ms` of controller time in pulse periods: the named hosts pulse each period, and maintenance ticks. */
  const run = async (ms: number, pulsing: string[]) => {
    const transitions = [];
    for (let t = 0; t < ms; t += PERIOD) {
      api.clock.advance(PERIOD);
      for (const h of pulsing) pulse(h);
      transitions.push(...(await api.heartbeat.tick()));
    }
    return transitions;
  };

  beforeEach(async () => {
    api = await createTestApi(ctx.database, { systemMode: 'duplex', reportIntervalMs: 20_000, heartbeatPeriodMs: PERIOD });
    await api.pulses.listen('127.0.0.1', 0);
    for (const [hostname, personality] of HOSTS) {
      const added = await api.request('admin', 'POST', '/api/v1/hosts', { hostname, personality });
      creds[hostname] = (await api.request(null, 'POST', '/api/v1/agent/enroll', { token: added.body.enroll_token, hostname })).body.credential;
      await ctx.database.db.updateTable('hosts').set({ administrative: 'unlocked' }).where('hostname', '=', hostname).execute();
      const { config_target } = await host(hostname);
      const status = { boot_id: 'b', booted_at: 0, agent_version: 't', inventory: {}, applied: { generation: 1, config_token: config_target }, completed_actions: [] };
      const r = await report(hostname, { status, pulse: { instance: instanceOf(hostname) } });
      assert.equal(r.status, 200, r.text);
      sessions[hostname] = r.body.pulse;
      seqs[hostname] = 0;
    }
  });
  afterEach(() => api.close());

  test('a report names the agent process; the reply hands it a session, again to the same process, a new one to a new process', async () => {
    const s = sessions['worker-0']!;
    assert.match(s.session, /^[0-9a-f]{16}$/);
    assert.equal(s.port, api.pulses.port);
    assert.equal(s.period_ms, PERIOD);
    const same = await report('worker-0', { pulse: { instance: instanceOf('worker-0') } });
    assert.equal(same.body.pulse.session, s.session, 'a crossed reply gets the same session');
    const known = await report('worker-0', { pulse: { instance: instanceOf('worker-0'), session: s.session } });
    assert.equal(known.body.pulse, undefined, 'an agent that has it is not sent it');
    // An agent that does not take the session it was sent is still long polled: it cannot make the poll spin.
    const known2 = (await host('worker-0')).generation;
    const sentAt = performance.now();
    const again = await report('worker-0', { pulse: { instance: instanceOf('worker-0') }, known_generation: known2, wait_ms: 400 });
    assert.equal(again.body.pulse.session, s.session);
    assert.ok(performance.now() - sentAt >= 300, 'held like any up-to-date report');
    const restarted = await report('worker-0', { pulse: { instance: 'feedfeedfeedfeed' } });
    assert.notEqual(restarted.body.pulse.session, s.session, 'a new agent process gets a new session');
    pulse('worker-0');
    assert.equal(api.pulses.lastPulseAt(await hostId('worker-0')), undefined, "the old process's pulses no longer count");
  });

  test('an agent that stops pulsing: degraded at 6 missed pulses, failed at 10 with recovery, ok again at its next pulse', async () => {
    await run(500, ['controller-0', 'controller-1', 'worker-0']);
    const stoppedAt = api.clock.now();
    const transitions = await run(1_500, ['controller-0', 'controller-1']);
    const at = (to: string) => transitions.find((t) => t.hostname === 'worker-0' && t.to === to);
    assert.ok(at('degraded') && at('failed'), JSON.stringify(transitions));
    assert.equal(at('failed')!.recovery, true);
    const w = await host('worker-0');
    assert.equal(w.availability, 'failed');
    assert.equal(w.task, 'Recovering');
    assert.deepEqual(await alarms(), ['200.004 host=worker-0 critical', '200.005 host=worker-0.network=mgmt critical']);
    assert.ok(api.clock.now() - stoppedAt <= 1_500);

    // Its pulses come back (the agent and its session survived, e.g. a cable pulled and put back): ok at once, no report needed.
    const back = await run(PERIOD, ['controller-0', 'controller-1', 'worker-0']);
    assert.deepEqual(back.map((t) => [t.hostname, t.to]), [['worker-0', 'ok']]);
    assert.equal((await host('worker-0')).availability, 'available');
    assert.deepEqual(await alarms(), []);
  });

  test('degraded after 6 missed pulses and not before; failed after 10 and not before', async () => {
    await run(300, ['controller-0', 'controller-1', 'worker-0']);
    const degraded = await run(500, ['controller-0', 'controller-1']);
    assert.deepEqual(degraded, [], 'five missed pulses are not six');
    assert.deepEqual((await run(PERIOD, ['controller-0', 'controller-1'])).map((t) => [t.hostname, t.to]), [['worker-0', 'degraded']]);
    assert.deepEqual(await run(300, ['controller-0', 'controller-1']), []);
    assert.deepEqual((await run(PERIOD, ['controller-0', 'controller-1'])).map((t) => [t.hostname, t.to]), [['worker-0', 'failed']]);
  });

  test('forged and replayed pulses are ignored: the host fails all the same', async () => {
    await run(300, ['controller-0', 'controller-1', 'worker-0']);
    const captured = encodePulse(Buffer.from(sessions['worker-0']!.session, 'hex'), 1_000, pulseKey(sessions['worker-0']!.key));
    api.pulses.receive(captured);
    const refusedBefore = api.pulses.counts.refused;
    const transitions = [];
    for (let t = 0; t < 1_500; t += PERIOD) {
      api.clock.advance(PERIOD);
      pulse('controller-0');
      pulse('controller-1');
      // Another host that knows the session id (it is on the wire) but not the key; and the captured pulse again.
      pulse('worker-0', Buffer.alloc(32, 7).toString('base64url'));
      api.pulses.receive(captured);
      api.pulses.receive(Buffer.from('not a pulse at all'));
      transitions.push(...(await api.heartbeat.tick()));
    }
    assert.ok(transitions.some((t) => t.hostname === 'worker-0' && t.to === 'failed'), JSON.stringify(transitions));
    assert.equal(api.pulses.counts.refused - refusedBefore, 45);
  });

  test('two hosts lost at once: alarms, no recovery (MNFA)', async () => {
    await run(300, ['controller-0', 'controller-1', 'worker-0']);
    const transitions = await run(1_200, ['controller-0']);
    const failed = transitions.filter((t) => t.to === 'failed');
    assert.deepEqual(failed.map((t) => [t.hostname, t.recovery]).sort(), [['controller-1', false], ['worker-0', false]]);
    assert.equal((await host('worker-0')).task, null);
  });

  test('the active controller fails: the standby takes the active role by itself, 401.007 logged; the failed one is recovered', async () => {
    assert.equal((await host('controller-0')).controller_role, 'active');
    await run(300, ['controller-0', 'controller-1', 'worker-0']);
    const transitions = await run(1_200, ['controller-1', 'worker-0']);
    const failed = transitions.find((t) => t.hostname === 'controller-0' && t.to === 'failed');
    assert.equal(failed?.swactTo, 'controller-1', JSON.stringify(transitions));
    const [c0, c1] = [await host('controller-0'), await host('controller-1')];
    assert.equal(c0.controller_role, 'standby');
    assert.equal(c1.controller_role, 'active');
    assert.equal(c0.task, 'Recovering');
    assert.ok((await alarms()).includes('200.004 host=controller-0 critical'));
    const logs = (await api.request('reader', 'GET', '/api/v1/events?alarm_id=401.007')).body.items as Array<{ reason_text: string }>;
    assert.match(logs[0]!.reason_text, /Swact on failure: controller-1 is now the active controller \(controller-0 failed\)/);
    // The standby (now active) holds the role when it fails in turn only if a healthy peer exists: controller-0 is failed.
    const next = await run(1_200, ['worker-0']);
    assert.equal(next.find((t) => t.hostname === 'controller-1' && t.to === 'failed')?.swactTo, undefined);
    assert.equal((await host('controller-1')).controller_role, 'active');
  });

  test('over the real UDP socket: a good pulse counts, a forged one is refused', async () => {
    const socket = createSocket('udp4');
    const send = (datagram: Buffer) => new Promise<void>((resolve, reject) => socket.send(datagram, api.pulses.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    const id = Buffer.from(sessions['worker-0']!.session, 'hex');
    const before = { ...api.pulses.counts };
    await send(encodePulse(id, 1, pulseKey(sessions['worker-0']!.key)));
    await send(encodePulse(id, 2, pulseKey(Buffer.alloc(32, 1).toString('base64url'))));
    await until('both datagrams read', async () => api.pulses.counts.accepted + api.pulses.counts.refused - before.accepted - before.refused === 2, 5_000, 10);
    assert.equal(api.pulses.counts.accepted - before.accepted, 1);
    assert.equal(api.pulses.counts.refused - before.refused, 1);
    assert.equal(api.pulses.lastPulseAt(await hostId('worker-0')), api.clock.now());
    socket.close();
  });

  test('a host that never pulsed is judged by its reports, not by the pulse period', async () => {
    await run(2_000, ['controller-0', 'controller-1']);
    // worker-0 was handed a session but sent no pulse: 2 s is well within its 10 report intervals.
    assert.equal((await host('worker-0')).availability, 'available');
  });

  const hostId = async (hostname: string) => (await host(hostname)).id as string;
});

/** An agent process id, one per host here. */
function instanceOf(hostname: string): string {
  return createHash('sha256').update(hostname).digest('hex').slice(0, 16);
}
