import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

const status = (overrides: Record<string, unknown> = {}) => ({
  boot_id: 'boot-1',
  booted_at: Date.now() - 3600_000,
  agent_version: '0.1.0',
  inventory: { cpu: 'unknown', memory: { total_mib: 1024, numa: [] }, disks: [], nics: [], kernel: {}, os: {} },
  applied: { generation: 0, config_token: null },
  completed_actions: [],
  ...overrides,
});
const cpu = (severity = 'major') => ({ kind: 'raise', alarm_id: '100.101', entity_instance_id: 'host=controller-0', severity, reason_text: 'Platform CPU threshold exceeded' });

describeEachBackend('agent report protocol', (ctx) => {
  let api: TestApi;
  let credential: string;
  let report: (body: Record<string, unknown>) => Promise<{ status: number; body: any; text: string }>;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
    const added = await api.request('admin', 'POST', '/api/v1/hosts', { hostname: 'controller-0', personality: 'controller' });
    credential = (await api.request(null, 'POST', '/api/v1/agent/enroll', { token: added.body.enroll_token, hostname: 'controller-0' })).body.credential;
    report = (body) => api.request(null, 'POST', '/api/v1/agent/report', { seq: 1, status_hash: 'h1', ops: [], known_generation: 0, wait_ms: 0, ...body }, { authorization: `Bearer ${credential}` });
  });
  afterEach(() => api.close());

  test('the first report brings the host online with its inventory; the reply carries the desired state', async () => {
    // Booted an hour ago on the controller's (manual) clock, which uptime is measured by.
    const r = await report({ status: status({ booted_at: api.clock.now() - 3600_000 }) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.generation, 1);
    assert.equal(r.body.desired.administrative, 'locked');
    assert.equal(r.body.report_interval_ms, 1000);
    const host = (await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).body;
    assert.equal(host.availability, 'online');
    assert.equal(host.operational, 'disabled');
    assert.equal(host.inventory.memory.total_mib, 1024);
    assert.ok(host.uptime >= 3599);
    assert.ok(host.last_report_at);
  });

  test('an unchanged report is tiny and its reply carries no desired state; a hash the controller does not know asks for the status', async () => {
    await report({ status: status() });
    const tiny = await report({ seq: 2, known_generation: 1 });
    assert.equal(tiny.status, 200);
    assert.equal(tiny.body.desired, undefined);
    assert.equal(tiny.body.need_status, undefined);
    assert.ok(tiny.text.length < 80, `reply is ${tiny.text.length} bytes: ${tiny.text}`);
    const unknown = await report({ seq: 3, status_hash: 'h2', known_generation: 1 });
    assert.equal(unknown.body.need_status, true);
  });

  test('queued operations apply exactly once, in order, whatever is resent', async () => {
    const ops = [
      { seq: 1, op: cpu('major') },
      { seq: 2, op: cpu('critical') },
      { seq: 3, op: { kind: 'log', alarm_id: '401.007', entity_instance_id: 'host=controller-0', severity: 'critical', reason_text: 'swact' } },
    ];
    const first = await report({ status: status(), ops });
    assert.equal(first.body.ack_op_seq, 3);
    const again = await report({ seq: 2, ops });
    assert.equal(again.body.ack_op_seq, 3);
    const alarms = (await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=100.101,200.004,200.005')).body.items;
    assert.equal(alarms.length, 1);
    assert.equal(alarms[0].severity, 'critical', 'the last raise wins');
    const events = (await api.request('reader', 'GET', '/api/v1/events?alarm_id=100.101,401.007')).body.items;
    assert.equal(events.length, 2, 'one set (coalesced) and one log, not repeated by the resend');

    const flap = await report({ seq: 3, ops: [{ seq: 4, op: cpu() }, { seq: 5, op: { kind: 'clear', alarm_id: '100.101', entity_instance_id: 'host=controller-0' } }] });
    assert.equal(flap.body.ack_op_seq, 5);
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=100.101,200.004,200.005')).body.items.length, 0, 'raised then cleared while away ends cleared');
  });

  test("operations on another host's entities, or invalid ones, are dropped and acknowledged (never wedge the queue)", async () => {
    const r = await report({
      status: status(),
      ops: [
        { seq: 1, op: { ...cpu(), entity_instance_id: 'host=controller-1' } },
        { seq: 2, op: { ...cpu(), severity: 'minor' } },
        { seq: 3, op: { ...cpu(), alarm_id: '999.999' } },
        { seq: 4, op: cpu() },
      ],
    });
    assert.equal(r.body.ack_op_seq, 4);
    const alarms = (await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=100.101,200.004,200.005')).body.items;
    assert.deepEqual(alarms.map((a: { entity_instance_id: string; severity: string }) => [a.entity_instance_id, a.severity]), [['host=controller-0', 'major']]);
  });

  test('the long poll returns as soon as the desired state changes', async () => {
    await report({ status: status() });
    const started = Date.now();
    const held = report({ seq: 2, known_generation: 1, wait_ms: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await ctx.database.db.updateTable('hosts').set({ generation: 2, administrative: 'unlocked' }).where('hostname', '=', 'controller-0').execute();
    const host = await ctx.database.db.selectFrom('hosts').select('id').where('hostname', '=', 'controller-0').executeTakeFirstOrThrow();
    api.waiters.notify(host.id);
    const r = await held;
    assert.ok(Date.now() - started < 2000, 'returned on the change, not at the timeout');
    assert.equal(r.body.desired.generation, 2);
    assert.equal(r.body.desired.administrative, 'unlocked');
  });

  test('a report from a failed host clears its heartbeat alarms', async () => {
    await report({ status: status() });
    await api.fault.batch({ raise: [{ alarm_id: '200.004', entity_instance_id: 'host=controller-0', severity: 'critical', reason_text: 'failed' }] });
    await ctx.database.db.updateTable('hosts').set({ heartbeat: 'failed', availability: 'offline' }).where('hostname', '=', 'controller-0').execute();
    await report({ seq: 2, known_generation: 1 });
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=100.101,200.004,200.005')).body.items.length, 0);
    assert.equal((await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).body.availability, 'online');
  });

  test('a user token cannot report, and an agent credential cannot read the API', async () => {
    const asUser = await api.request('admin', 'POST', '/api/v1/agent/report', { seq: 1, status_hash: 'x', ops: [], known_generation: 0, wait_ms: 0 });
    assert.equal(asUser.status, 403);
    const asAgent = await api.request(null, 'GET', '/api/v1/hosts', undefined, { authorization: `Bearer ${credential}` });
    assert.equal(asAgent.status, 403);
  });

  test('a re-enrolled agent (new state folder) starts its sequence again, and nothing it sends is lost', async () => {
    await report({ status: status(), ops: [{ seq: 1, op: cpu() }, { seq: 2, op: cpu('critical') }] });
    const reissued = await api.request('admin', 'POST', '/api/v1/hosts/controller-0/enroll-token');
    credential = (await api.request(null, 'POST', '/api/v1/agent/enroll', { token: reissued.body.enroll_token, hostname: 'controller-0' })).body.credential;
    const r = await report({ status: status(), ops: [{ seq: 1, op: { kind: 'clear', alarm_id: '100.101', entity_instance_id: 'host=controller-0' } }] });
    assert.equal(r.body.ack_op_seq, 1);
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=100.101')).body.items.length, 0, 'the new agent\'s first operation applied');
  });
});
