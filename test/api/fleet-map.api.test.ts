/**
 * The fleet map: each subcloud's worst state in columns, counts per state,
 * and the live stream that sends the whole map first and then only the
 * tiles that changed.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { readStream } from '../helpers/sse.js';

describeEachBackend('fleet map', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { siteRole: 'systemcontroller' });
  });
  afterEach(() => api.close());

  const add = async (name: string, group?: string) => {
    const res = await api.request('admin', 'POST', '/api/v1/subclouds', { name, ...(group ? { group } : {}) });
    assert.equal(res.status, 201, res.text);
    return res.body.subcloud.id as number;
  };
  /** Sets a subcloud's row as reports and audits would. */
  const set = (name: string, values: Record<string, unknown>) => ctx.database.db.updateTable('subclouds').set(values).where('name', '=', name).execute();

  test('worst state per subcloud, in order offline, critical, major, deploying, out-of-sync, OK', async () => {
    assert.equal((await api.request('admin', 'POST', '/api/v1/subcloud-groups', { name: 'rail' })).status, 201);
    for (const name of ['a-off', 'b-crit', 'c-major', 'd-deploy', 'e-oos', 'f-ok']) await add(name, name === 'f-ok' ? 'rail' : undefined);
    const online = { availability_status: 'online' };
    await set('b-crit', { ...online, alarms_critical: 1, alarms_major: 3 });
    await set('c-major', { ...online, alarms_major: 2 });
    await set('d-deploy', { ...online, orchestration: '{}' });
    const d = await ctx.database.db.selectFrom('subclouds').select('id').where('name', '=', 'd-deploy').executeTakeFirstOrThrow();
    const step = { subcloud_id: d.id, subcloud_name: 'd-deploy', job_key: 'k', stage: 1, details: '', progress: null, cause: null, started_at: 0, finished_at: null, updated_at: 0 };
    await ctx.database.db.insertInto('fleet_strategy_steps').values({ ...step, state: 'apply VIM sw-deploy strategy' }).execute();
    await set('f-ok', { orchestration: '{}' }); // a finished job's leftover does not make it deploying
    const eoos = await ctx.database.db.selectFrom('subclouds').select('id').where('name', '=', 'e-oos').executeTakeFirstOrThrow();
    await set('e-oos', online);
    await ctx.database.db.deleteFrom('subcloud_endpoints').where('subcloud_id', '=', eoos.id).where('endpoint_type', '=', 'platform').execute();
    await ctx.database.db.insertInto('subcloud_endpoints').values({ subcloud_id: eoos.id, endpoint_type: 'platform', sync_status: 'out-of-sync', applied_hash: null, out_of_sync_since: 0, updated_at: 0 }).execute();
    await set('f-ok', { ...online, management_state: 'managed', alarms_minor: 4 });

    const res = await api.request('reader', 'GET', '/api/v1/fleet/map');
    assert.equal(res.status, 200, res.text);
    const map = res.body;
    assert.deepEqual(map.states, ['offline', 'critical', 'major', 'deploying', 'out-of-sync', 'OK']);
    assert.deepEqual(map.subclouds.name, ['a-off', 'b-crit', 'c-major', 'd-deploy', 'e-oos', 'f-ok']);
    assert.deepEqual(
      map.subclouds.state.map((i: number) => map.states[i]),
      ['offline', 'critical', 'major', 'deploying', 'out-of-sync', 'OK'],
    );
    assert.deepEqual(map.subclouds.managed, [0, 0, 0, 0, 0, 1]);
    assert.deepEqual(
      map.subclouds.group.map((i: number) => map.groups[i].name),
      ['Default', 'Default', 'Default', 'Default', 'Default', 'rail'],
    );
    assert.deepEqual(map.counts, { offline: 1, critical: 1, major: 1, deploying: 1, 'out-of-sync': 1, OK: 1 });
    assert.equal((await api.request(null, 'GET', '/api/v1/fleet/map')).status, 401);

    // The detail the dashboard opens from a tile: hosts and releases as last reported.
    const status = { software_version: '1.0', hosts: { total: 2, available: 1, degraded: 1, failed: 0, offline: 0 }, endpoints: {}, releases: ['edge-1.0.1'] };
    await set('f-ok', { status: JSON.stringify(status) });
    const detail = (await api.request('reader', 'GET', '/api/v1/subclouds/f-ok')).body;
    assert.deepEqual([detail.hosts, detail.releases], [status.hosts, ['edge-1.0.1']]);
    const fresh = (await api.request('reader', 'GET', '/api/v1/subclouds/a-off')).body;
    assert.deepEqual([fresh.hosts, fresh.releases], [null, []]);
  });

  test('the stream sends the map, then only the tiles that changed, then the whole map when a subcloud is added', async () => {
    await add('s-1');
    await add('s-2');
    const base = await api.app.listen({ port: 0, host: '127.0.0.1' });
    let step = 0;
    const messages = await readStream(
      `${base}/api/v1/fleet/map/stream`,
      api.tokens.reader,
      {},
      (m) => {
        if (step === 0 && m.length >= 1) {
          step = 1;
          void set('s-2', { availability_status: 'online' });
        } else if (step === 1 && m.some((x) => x.event === 'tiles')) {
          step = 2;
          void add('s-3');
        }
        return step === 2 && m.filter((x) => x.event === 'map').length >= 2;
      },
      10_000,
    );
    const [first, tiles] = [messages[0]!, messages.find((x) => x.event === 'tiles')!];
    assert.equal(first.event, 'map');
    assert.deepEqual(JSON.parse(first.data!).subclouds.name, ['s-1', 's-2']);
    const update = JSON.parse(tiles.data!);
    assert.deepEqual(update.changes, [['s-2', 5, 0]], 's-2 went OK, and only s-2 was sent');
    assert.equal(update.counts.OK, 1);
    assert.equal(update.counts.offline, 1);
    const last = JSON.parse(messages.filter((x) => x.event === 'map').at(-1)!.data!);
    assert.deepEqual(last.subclouds.name, ['s-1', 's-2', 's-3']);
  });
});
