import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

describeEachBackend('system and host inventory', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
  });
  afterEach(() => api.close());

  const add = (hostname: string, personality: string) => api.request('admin', 'POST', '/api/v1/hosts', { hostname, personality });
  const setAdmin = (hostname: string, administrative: string) =>
    ctx.database.db.updateTable('hosts').set({ administrative }).where('hostname', '=', hostname).execute();

  test('system show and rename', async () => {
    const shown = await api.request('reader', 'GET', '/api/v1/system');
    assert.equal(shown.body.mode, 'simplex');
    assert.equal(shown.body.role, 'standalone');
    assert.equal((await api.request('operator', 'PATCH', '/api/v1/system', { name: 'x' })).status, 403);
    const renamed = await api.request('admin', 'PATCH', '/api/v1/system', { name: 'rail-backbone-7' });
    assert.equal(renamed.body.name, 'rail-backbone-7');
  });

  test('simplex to duplex: only with controller-0 locked, never back, each refusal names the rule', async () => {
    const noController = await api.request('admin', 'PATCH', '/api/v1/system', { mode: 'duplex' });
    assert.equal(noController.status, 409);
    assert.match(noController.body.message, /controller-0 is not provisioned \(rule:/);
    await add('controller-0', 'controller');
    await setAdmin('controller-0', 'unlocked');
    const unlocked = await api.request('admin', 'PATCH', '/api/v1/system', { mode: 'duplex' });
    assert.equal(unlocked.status, 409);
    assert.match(unlocked.body.message, /controller-0 is unlocked; lock it first/);
    assert.match((await api.request('admin', 'PATCH', '/api/v1/system', { mode: 'standard' })).body.message, /simplex to standard/);
    await setAdmin('controller-0', 'locked');
    const ok = await api.request('admin', 'PATCH', '/api/v1/system', { mode: 'duplex' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.mode, 'duplex');
    const back = await api.request('admin', 'PATCH', '/api/v1/system', { mode: 'simplex' });
    assert.equal(back.status, 409);
    assert.match(back.body.message, /duplex is final/);
  });

  test('hosts per mode: simplex has only controller-0; duplex adds controller-1 (standby) and workers', async () => {
    const c0 = await add('controller-0', 'controller');
    assert.equal(c0.status, 201, c0.text);
    assert.equal(c0.body.host.administrative, 'locked');
    assert.equal(c0.body.host.operational, 'disabled');
    assert.equal(c0.body.host.availability, 'offline');
    assert.equal(c0.body.host.subfunctions, 'controller,worker');
    assert.equal(c0.body.host.controller_role, 'active');
    assert.match(c0.body.enroll_token, /^ste_/);
    assert.equal((await add('controller-0', 'controller')).status, 409);
    assert.match((await add('controller-1', 'controller')).body.message, /only controller-0/);
    assert.match((await add('worker-0', 'worker')).body.message, /AIO-Simplex/);
    assert.match((await add('ctl-x', 'controller')).body.message, /named controller-0 and controller-1/);
    assert.equal((await add('Bad_Name', 'worker')).body.field, 'hostname');
    assert.equal((await add('worker-0', 'router')).body.field, 'personality');

    await api.request('admin', 'PATCH', '/api/v1/system', { mode: 'duplex' });
    const c1 = await add('controller-1', 'controller');
    assert.equal(c1.status, 201);
    assert.equal(c1.body.host.controller_role, 'standby');
    assert.equal((await add('worker-0', 'worker')).status, 201);
    assert.match((await add('storage-0', 'storage')).body.message, /standard system/);
    const list = await api.request('reader', 'GET', '/api/v1/hosts');
    assert.deepEqual(list.body.items.map((h: { hostname: string }) => h.hostname), ['controller-0', 'controller-1', 'worker-0']);
    assert.equal((await api.request('operator', 'POST', '/api/v1/hosts', { hostname: 'worker-1', personality: 'worker' })).status, 403);
  });

  test('enrollment: one-time, bound to its host, expiring; the credential is for agent routes only', async () => {
    const { body } = await add('controller-0', 'controller');
    const enroll = (token: string, hostname: string) => api.request(null, 'POST', '/api/v1/agent/enroll', { token, hostname });
    const wrongHost = await enroll(body.enroll_token, 'controller-1');
    assert.equal(wrongHost.status, 401);
    assert.match(wrongHost.body.message, /issued for host controller-0, not controller-1/);
    const ok = await enroll(body.enroll_token, 'controller-0');
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.body.credential, /^sta_/);
    const again = await enroll(body.enroll_token, 'controller-0');
    assert.equal(again.status, 401);
    assert.match(again.body.message, /already used/);
    assert.equal((await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).body.enrolled, true);

    const asAgent = { authorization: `Bearer ${ok.body.credential}` };
    const denied = await api.request(null, 'GET', '/api/v1/alarms', undefined, asAgent);
    assert.equal(denied.status, 403, 'agents may call only agent routes');
    assert.match(denied.body.message, /role agent may not/);

    const audit = await api.request('admin', 'GET', '/api/v1/audit?limit=20');
    assert.ok(audit.body.items.some((r: { route: string; user: string; outcome: string }) => r.route === '/api/v1/agent/enroll' && r.user === 'host:controller-1' && r.outcome === 'denied'));
    assert.ok(!JSON.stringify(audit.body).includes(ok.body.credential));

    const reissued = await api.request('admin', 'POST', '/api/v1/hosts/controller-0/enroll-token');
    assert.equal(reissued.status, 201);
    api.clock.advance(24 * 3600 * 1000 + 1);
    const expired = await enroll(reissued.body.enroll_token, 'controller-0');
    assert.equal(expired.status, 401);
    assert.match(expired.body.message, /has expired/);
    assert.equal((await enroll('ste_nonsense-token', 'controller-0')).status, 401);

  });

  test('delete: locked only, the active controller last', async () => {
    await add('controller-0', 'controller');
    await api.request('admin', 'PATCH', '/api/v1/system', { mode: 'duplex' });
    await add('worker-0', 'worker');
    await setAdmin('worker-0', 'unlocked');
    const unlocked = await api.request('admin', 'DELETE', '/api/v1/hosts/worker-0');
    assert.equal(unlocked.status, 409);
    assert.match(unlocked.body.message, /must be locked before it is deleted/);
    const active = await api.request('admin', 'DELETE', '/api/v1/hosts/controller-0');
    assert.equal(active.status, 409);
    assert.match(active.body.message, /active controller/);
    await setAdmin('worker-0', 'locked');
    assert.equal((await api.request('admin', 'DELETE', '/api/v1/hosts/worker-0')).status, 204);
    assert.equal((await api.request('admin', 'DELETE', '/api/v1/hosts/controller-0')).status, 204);
    assert.equal((await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).status, 404);
  });
});
