import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi, type TestRole } from '../helpers/api.js';

describeEachBackend('subclouds and groups', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { siteRole: 'systemcontroller' });
  });
  afterEach(() => api.close());

  const add = (name: string, extra: Record<string, unknown> = {}) => api.request('admin', 'POST', '/api/v1/subclouds', { name, ...extra });

  test('groups: Default always exists, CRUD, deleting a group moves its subclouds to Default', async () => {
    const list = await api.request('reader', 'GET', '/api/v1/subcloud-groups');
    assert.deepEqual(list.body.items.map((g: { id: number; name: string; update_apply_type: string; max_parallel_subclouds: number }) => [g.id, g.name, g.update_apply_type, g.max_parallel_subclouds]), [[1, 'Default', 'parallel', 2]]);
    const rural = await api.request('admin', 'POST', '/api/v1/subcloud-groups', { name: 'rural', update_apply_type: 'serial', max_parallel_subclouds: 1, description: 'long drops' });
    assert.equal(rural.status, 201, rural.text);
    assert.equal((await api.request('admin', 'POST', '/api/v1/subcloud-groups', { name: 'rural' })).status, 409);
    assert.equal((await api.request('admin', 'POST', '/api/v1/subcloud-groups', { name: 'x', max_parallel_subclouds: 6000 })).body.field, 'max_parallel_subclouds');
    const updated = await api.request('admin', 'PATCH', '/api/v1/subcloud-groups/rural', { max_parallel_subclouds: 10 });
    assert.equal(updated.body.max_parallel_subclouds, 10);
    assert.match((await api.request('admin', 'DELETE', '/api/v1/subcloud-groups/Default')).body.message, /Default group cannot be deleted/);
    assert.match((await api.request('admin', 'PATCH', '/api/v1/subcloud-groups/1', { name: 'Other' })).body.message, /cannot be renamed/);
    await add('site-1', { group: 'rural' });
    assert.equal((await api.request('reader', 'GET', '/api/v1/subcloud-groups/rural')).body.subclouds, 1);
    assert.equal((await api.request('admin', 'DELETE', '/api/v1/subcloud-groups/rural')).status, 204);
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds/site-1')).body.group_name, 'Default');
  });

  test('add: unmanaged, offline, pre-enroll, with a one-time token; show has the endpoints', async () => {
    const r = await add('rail-007', { description: 'Backbone node 7', location: 'km 112' });
    assert.equal(r.status, 201, r.text);
    assert.match(r.body.enroll_token, /^stse_/);
    const s = r.body.subcloud;
    assert.deepEqual([s.management_state, s.availability_status, s.deploy_status, s.error_description, s.group_name], ['unmanaged', 'offline', 'pre-enroll', 'No errors present', 'Default']);
    assert.deepEqual(s.endpoint_sync_status.map((e: { endpoint_type: string; sync_status: string }) => `${e.endpoint_type}:${e.sync_status}`), ['platform:unknown', 'identity:unknown', 'software:unknown']);
    assert.equal((await add('rail-007')).status, 409);
    assert.equal((await add('x', { group: 'nope' })).status, 404);
    assert.equal((await add('bad name')).body.field, 'name');
    assert.equal((await api.request('operator', 'POST', '/api/v1/subclouds', { name: 'y' })).status, 403);
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds/rail-007/errors')).body.error_description, 'No errors present');
  });

  test('list: paginated and filtered', async () => {
    await api.request('admin', 'POST', '/api/v1/subcloud-groups', { name: 'east' });
    for (let i = 0; i < 7; i++) await add(`east-${i}`, { group: 'east' });
    for (let i = 0; i < 3; i++) await add(`west-${i}`);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ name: string }>; next_cursor: string | null } } = await api.request('reader', 'GET', `/api/v1/subclouds?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      names.push(...page.body.items.map((s) => s.name));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.equal(names.length, 10);
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds?group=east')).body.items.length, 7);
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds?name=west')).body.items.length, 3);
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds?availability_status=online')).body.items.length, 0);
  });

  test('manage needs online and deployed unless forced; delete needs unmanaged', async () => {
    await add('site-a');
    const refused = await api.request('operator', 'POST', '/api/v1/subclouds/site-a/manage', {});
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /cannot manage site-a: it is offline \(rule: manage needs an online, deployed subcloud; --force overrides\)/);
    await ctx.database.db.updateTable('subclouds').set({ availability_status: 'online' }).where('name', '=', 'site-a').execute();
    assert.match((await api.request('operator', 'POST', '/api/v1/subclouds/site-a/manage', {})).body.message, /deploy status is pre-enroll/);
    const forced = await api.request('operator', 'POST', '/api/v1/subclouds/site-a/manage', { force: true });
    assert.equal(forced.body.management_state, 'managed');
    assert.match((await api.request('admin', 'DELETE', '/api/v1/subclouds/site-a')).body.message, /it is managed \(rule: unmanage it first\)/);
    assert.equal((await api.request('operator', 'POST', '/api/v1/subclouds/site-a/unmanage', {})).body.management_state, 'unmanaged');
    assert.equal((await api.request('admin', 'DELETE', '/api/v1/subclouds/site-a')).status, 204);
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds/site-a')).status, 404);
  });

  test('update: description, location, group, and the system controller address', async () => {
    await add('site-b');
    await api.request('admin', 'POST', '/api/v1/subcloud-groups', { name: 'north' });
    const r = await api.request('admin', 'PATCH', '/api/v1/subclouds/site-b', { description: 'moved', location: 'hill 3', group: 'north', system_controller_url: 'https://sc2.example:6385' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([r.body.description, r.body.location, r.body.group_name, r.body.system_controller_url], ['moved', 'hill 3', 'north', 'https://sc2.example:6385']);
    assert.equal((await api.request('admin', 'PATCH', '/api/v1/subclouds/site-b', { system_controller_url: 'ftp://x' })).body.field, 'system_controller_url');
  });
});

describeEachBackend('subclouds are managed on a system controller only', (ctx) => {
  for (const siteRole of ['standalone', 'subcloud'] as const) {
    test(`a ${siteRole} controller refuses to add or change subclouds and groups (409, audited), and still answers reads`, async () => {
      const api = await createTestApi(ctx.database, { siteRole });
      try {
        const refused = await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'edge-1' });
        assert.equal(refused.status, 409, refused.text);
        assert.equal(refused.body.code, 'conflict');
        assert.match(refused.body.message, new RegExp(`^subclouds are added and managed on a system controller; this controller's role is ${siteRole} \\(`));
        assert.deepEqual((await api.request('reader', 'GET', '/api/v1/subclouds')).body.items, [], 'nothing was added');
        assert.equal((await api.request('reader', 'POST', '/api/v1/subclouds', { name: 'edge-1' })).status, 403, 'roles are checked first');
        const audited = (await api.request('admin', 'GET', '/api/v1/audit?limit=10')).body.items.filter((r: { route: string }) => r.route === '/api/v1/subclouds');
        assert.deepEqual(
          audited.map((r: { method: string; user: string; status: number; outcome: string }) => `${r.method} ${r.user} ${r.status} ${r.outcome}`).sort(),
          ['POST admin 409 failure', 'POST reader 403 denied'],
          'both refusals are in the audit log',
        );

        // A subcloud left from when this database was a system controller's (the service adds it, as that controller's route did): no other change goes through either.
        await api.subclouds.add({ name: 'old-1' });
        const changes: Array<[TestRole, 'POST' | 'PATCH' | 'DELETE', string, unknown]> = [
          ['admin', 'POST', '/api/v1/subclouds/old-1/enroll-token', undefined],
          ['admin', 'PATCH', '/api/v1/subclouds/old-1', { group: 'Default', description: 'moved' }],
          ['operator', 'POST', '/api/v1/subclouds/old-1/manage', { force: true }],
          ['operator', 'POST', '/api/v1/subclouds/old-1/unmanage', {}],
          ['admin', 'DELETE', '/api/v1/subclouds/old-1', undefined],
          ['admin', 'POST', '/api/v1/subcloud-groups', { name: 'rural' }],
          ['admin', 'PATCH', '/api/v1/subcloud-groups/Default', { description: 'x' }],
          ['admin', 'DELETE', '/api/v1/subcloud-groups/Default', undefined],
        ];
        for (const [role, method, url, body] of changes) {
          const r = await api.request(role, method, url, body);
          assert.deepEqual([r.status, r.body.code], [409, 'conflict'], `${method} ${url}: ${r.text}`);
          assert.match(r.body.message, /on a system controller/);
        }
        const old = (await api.request('reader', 'GET', '/api/v1/subclouds/old-1')).body;
        assert.deepEqual([old.description, old.management_state], ['', 'unmanaged'], 'unchanged');
        assert.deepEqual((await api.request('reader', 'GET', '/api/v1/subcloud-groups')).body.items.map((g: { name: string }) => g.name), ['Default']);
      } finally {
        await api.close();
      }
    });
  }
});
