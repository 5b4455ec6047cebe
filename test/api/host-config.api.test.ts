import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

/** 2 sockets, one NUMA node each, 2 cores x 2 threads per socket: siblings (0,4) (1,5) on node 0, (2,6) (3,7) on node 1. */
const cpus = [0, 1, 2, 3, 4, 5, 6, 7].map((id) => {
  const core = id % 4;
  const node = core < 2 ? 0 : 1;
  return { id, socket: node, core, numa_node: node, siblings: [core, core + 4] };
});
const inventory = {
  cpu: { model: 'test', sockets: 2, cores: 4, threads: 8, numa_nodes: 2, cpus },
  memory: { total_mib: 32768, numa: [0, 1].map((node) => ({ node, total_mib: 16384, hugepages: { '2M': { total: 0, free: 0 }, '1G': { total: 0, free: 0 } } })) },
  disks: [],
  nics: [],
  kernel: { release: '6.1', lowlatency: false, cmdline: '' },
  os: { name: 'Debian', version: '12' },
};

describeEachBackend('host configuration', (ctx) => {
  let api: TestApi;
  let credential: string;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
    const added = await api.request('admin', 'POST', '/api/v1/hosts', { hostname: 'controller-0', personality: 'controller' });
    credential = (await api.request(null, 'POST', '/api/v1/agent/enroll', { token: added.body.enroll_token, hostname: 'controller-0' })).body.credential;
  });
  afterEach(() => api.close());

  const report = (status?: unknown, known = 0) =>
    api.request(null, 'POST', '/api/v1/agent/report', { seq: 1, status_hash: JSON.stringify(status ?? null).length.toString(), ...(status ? { status } : {}), ops: [], known_generation: known, wait_ms: 0 }, { authorization: `Bearer ${credential}` });
  const statusWith = (token: string | null) => ({ boot_id: 'b', booted_at: 0, agent_version: 't', inventory, applied: { generation: 1, config_token: token }, completed_actions: [] });
  const cpu = (fn: string, list: string) => api.request('admin', 'POST', '/api/v1/hosts/controller-0/cpu', { function: fn, cpus: list });
  const outOfDate = async () => (await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=250.001')).body.items.length;

  test('needs a reported topology', async () => {
    const r = await cpu('application-isolated', '1,5');
    assert.equal(r.status, 400);
    assert.match(r.body.message, /has not reported its CPU topology yet/);
  });

  test('CPU functions: SMT siblings together, a platform core on every NUMA node; a change raises 250.001 until applied', async () => {
    await report(statusWith(null));
    const before = (await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).body;
    const split = await cpu('application-isolated', '1');
    assert.equal(split.status, 400);
    assert.equal(split.body.field, 'cpus');
    assert.match(split.body.message, /CPU 1 shares its core with 5 \(SMT siblings\); give them together/);
    assert.match((await cpu('application-isolated', '0,4')).body.message, /NUMA node 0 would have no platform core/);
    assert.match((await cpu('platform', '9')).body.message, /CPU 9 is not in this host's topology/);
    assert.match((await cpu('platform', '3-1')).body.message, /not a valid range/);

    const ok = await cpu('application-isolated', '1,5');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.config.cpu, { 1: 'application-isolated', 5: 'application-isolated' });
    assert.equal(ok.body.generation, before.generation + 1);
    assert.equal(ok.body.config_status, 'Config out-of-date');
    assert.equal(await outOfDate(), 1);
    const again = await cpu('application-isolated', '1,5');
    assert.equal(again.body.generation, ok.body.generation, 'the same change again is not a new generation');

    const r = await report(statusWith(ok.body.config_target), 0);
    assert.deepEqual(r.body.desired.config.cpu, { 1: 'application-isolated', 5: 'application-isolated' });
    assert.equal(await outOfDate(), 0, 'applied: 250.001 clears');
    assert.equal((await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).body.config_status, '');
  });

  test('hugepages fit in the NUMA node less the platform reserve; kernel', async () => {
    await report(statusWith(null));
    const mem = (body: Record<string, unknown>) => api.request('admin', 'POST', '/api/v1/hosts/controller-0/memory', body);
    assert.match((await mem({ numa_node: 2, hugepages_1g: 1 })).body.message, /node 2 is not in this host's topology/);
    const tooMuch = await mem({ numa_node: 1, hugepages_1g: 15 });
    assert.equal(tooMuch.status, 400);
    assert.match(tooMuch.body.message, /15360 MiB of hugepages on node 1 exceeds the 14745 MiB available there/);
    const ok = await mem({ numa_node: 1, hugepages_1g: 8, hugepages_2m: 1024 });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.config.hugepages, { 1: { '2M': 1024, '1G': 8 } });
    const k = await api.request('admin', 'POST', '/api/v1/hosts/controller-0/kernel', { kernel: 'lowlatency' });
    assert.equal(k.body.config.kernel, 'lowlatency');
    assert.equal(k.body.subfunctions, 'controller,worker,lowlatency');
    assert.equal((await api.request('operator', 'POST', '/api/v1/hosts/controller-0/kernel', { kernel: 'standard' })).status, 403);
  });

  test('an unlocked host refuses configuration changes, naming the rule', async () => {
    await report(statusWith(null));
    await ctx.database.db.updateTable('hosts').set({ administrative: 'unlocked' }).execute();
    const r = await api.request('admin', 'POST', '/api/v1/hosts/controller-0/kernel', { kernel: 'lowlatency' });
    assert.equal(r.status, 409);
    assert.match(r.body.message, /it is unlocked \(rule: lock the host first/);
  });
});
