import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

describeEachBackend('host actions and their guards', (ctx) => {
  let api: TestApi;
  const creds: Record<string, string> = {};
  const completed: Record<string, string[]> = {};
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { systemMode: 'duplex' });
  });
  afterEach(() => api.close());

  const add = async (hostname: string, personality: string) => {
    const added = await api.request('admin', 'POST', '/api/v1/hosts', { hostname, personality });
    creds[hostname] = (await api.request(null, 'POST', '/api/v1/agent/enroll', { token: added.body.enroll_token, hostname })).body.credential;
    completed[hostname] = [];
  };
  /** Reports like an agent that has done everything asked of it. */
  const agentReport = async (hostname: string) => {
    const h = (await api.request('reader', 'GET', `/api/v1/hosts/${hostname}`)).body;
    const first = await api.request(null, 'POST', '/api/v1/agent/report', { seq: 1, status_hash: 'x', ops: [], known_generation: 0, wait_ms: 0 }, { authorization: `Bearer ${creds[hostname]}` });
    completed[hostname]!.push(...first.body.desired.actions.map((a: { id: string }) => a.id));
    const status = { boot_id: 'b', booted_at: 0, agent_version: 't', inventory: {}, applied: { generation: first.body.generation, config_token: h.config_target }, completed_actions: completed[hostname] };
    return api.request(null, 'POST', '/api/v1/agent/report', { seq: 2, status_hash: `s${completed[hostname]!.length}`, status, ops: [], known_generation: first.body.generation, wait_ms: 0 }, { authorization: `Bearer ${creds[hostname]}` });
  };
  const act = (hostname: string, action: string, force?: boolean) => api.request('operator', 'POST', `/api/v1/hosts/${hostname}/actions`, { action, ...(force === undefined ? {} : { force }) });
  const host = async (hostname: string) => (await api.request('reader', 'GET', `/api/v1/hosts/${hostname}`)).body;
  const alarmIds = async () => ((await api.request('reader', 'GET', '/api/v1/alarms')).body.items as Array<{ alarm_id: string; entity_instance_id: string }>).map((a) => `${a.alarm_id} ${a.entity_instance_id}`).sort();

  test('a new host is locked with 200.001; unlock clears it, re-applies configuration (intest), then available', async () => {
    await add('controller-0', 'controller');
    assert.deepEqual(await alarmIds(), ['200.001 host=controller-0']);
    await agentReport('controller-0');
    assert.equal((await host('controller-0')).availability, 'online');
    const unlocked = await act('controller-0', 'unlock');
    assert.equal(unlocked.status, 200, unlocked.text);
    assert.equal(unlocked.body.administrative, 'unlocked');
    assert.equal(unlocked.body.availability, 'intest');
    assert.equal(unlocked.body.task, 'Unlocking');
    assert.deepEqual(await alarmIds(), []);
    await agentReport('controller-0');
    const h = await host('controller-0');
    assert.deepEqual([h.operational, h.availability, h.task], ['enabled', 'available', null]);
  });

  test('lock: not the active controller on duplex; unreachable hosts need force; 200.001 raised', async () => {
    await add('controller-0', 'controller');
    await add('controller-1', 'controller');
    await add('worker-0', 'worker');
    for (const h of ['controller-0', 'controller-1']) {
      await agentReport(h);
      await act(h, 'unlock');
      await agentReport(h);
    }
    const active = await act('controller-0', 'lock');
    assert.equal(active.status, 409);
    assert.match(active.body.message, /cannot lock controller-0: the active controller can only be locked on simplex; swact to controller-1 first/);
    const offline = await act('worker-0', 'unlock');
    assert.match(offline.body.message, /offline; its agent must be reporting/);
    await ctx.database.db.updateTable('hosts').set({ administrative: 'unlocked', availability: 'failed' }).where('hostname', '=', 'worker-0').execute();
    assert.match((await act('worker-0', 'lock')).body.message, /use force lock \(--force\)/);
    const forced = await act('worker-0', 'lock', true);
    assert.equal(forced.status, 200);
    assert.ok((await alarmIds()).includes('200.001 host=worker-0'));
    assert.match((await act('worker-0', 'lock')).body.message, /already locked/);
  });

  test('swact moves the active role to an available standby and logs 401.007', async () => {
    await add('controller-0', 'controller');
    await add('controller-1', 'controller');
    await agentReport('controller-0');
    await act('controller-0', 'unlock');
    await agentReport('controller-0');
    assert.match((await act('controller-0', 'swact')).body.message, /standby controller controller-1 unlocked and available \(it is locked/);
    assert.match((await act('controller-1', 'swact')).body.message, /not the active controller/);
    await agentReport('controller-1');
    await act('controller-1', 'unlock');
    await agentReport('controller-1');
    const swacted = await act('controller-0', 'swact');
    assert.equal(swacted.status, 200, swacted.text);
    assert.equal(swacted.body.controller_role, 'standby');
    assert.equal((await host('controller-1')).controller_role, 'active');
    const logs = (await api.request('reader', 'GET', '/api/v1/events?type=logs')).body.items;
    assert.equal(logs[0].alarm_id, '401.007');
    assert.equal((await act('controller-0', 'lock')).status, 200, 'the former active controller can now be locked');
  });

  test('reboot and reinstall need a locked host; the agent carries them out and the task clears', async () => {
    await add('controller-0', 'controller');
    await add('worker-0', 'worker');
    await agentReport('worker-0');
    await act('worker-0', 'unlock');
    await agentReport('worker-0');
    assert.match((await act('worker-0', 'reboot')).body.message, /reboot needs a locked host; lock worker-0 first/);
    await act('worker-0', 'lock');
    const rebooting = await act('worker-0', 'reboot');
    assert.equal(rebooting.body.task, 'Rebooting');
    const r = await api.request(null, 'POST', '/api/v1/agent/report', { seq: 9, status_hash: 'q', ops: [], known_generation: 0, wait_ms: 0 }, { authorization: `Bearer ${creds['worker-0']}` });
    assert.deepEqual(r.body.desired.actions.map((a: { kind: string }) => a.kind), ['reboot']);
    await agentReport('worker-0');
    assert.equal((await host('worker-0')).task, null);
    assert.match((await act('worker-0', 'swact')).body.message, /swact is for controllers/);
    assert.equal((await api.request('reader', 'POST', '/api/v1/hosts/worker-0/actions', { action: 'reinstall' })).status, 403);
  });

  test('deleting a host clears its alarms with clear events', async () => {
    await add('controller-0', 'controller');
    await add('worker-0', 'worker');
    await api.fault.batch({ raise: [{ alarm_id: '100.104', entity_instance_id: 'host=worker-0.filesystem=/var', severity: 'major', reason_text: 'fs' }] });
    assert.equal((await api.request('admin', 'DELETE', '/api/v1/hosts/worker-0')).status, 204);
    assert.deepEqual(await alarmIds(), ['200.001 host=controller-0']);
    const clears = (await api.request('reader', 'GET', '/api/v1/events?type=alarms&severity=clear')).body.items;
    assert.equal(clears.length, 2);
  });
});
