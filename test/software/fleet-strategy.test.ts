/**
 * Fleet orchestration against the fleet simulator: virtual subclouds speak
 * the real protocol over real HTTP to a system controller on each backend,
 * fetch the release's content from it for real (signature and digests
 * checked), and simulate the deploy itself.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FleetSimulator } from '../../src/sim/fleet-sim.js';
import { PROFILES } from '../../src/sim/wan/index.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { cliRunner } from '../helpers/cli.js';
import { makeBundle, newKeys } from '../helpers/releases.js';

const until = async (what: string, pred: () => Promise<boolean> | boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

describeEachBackend('fleet strategy: sw-deploy and prestage across simulated subclouds', (_ctx, dialect) => {
  let database: TestDatabase;
  let api: TestApi;
  let url: string;
  let work: string;
  const sims: FleetSimulator[] = [];
  const keys = newKeys();
  let ticking: NodeJS.Timeout;

  const strategy = async () => (await api.request('reader', 'GET', '/api/v1/sw-update-strategy')).body;
  const create = (body: object) => api.request('operator', 'POST', '/api/v1/sw-update-strategy', body);
  const action = (a: 'apply' | 'abort') => api.request('operator', 'POST', '/api/v1/sw-update-strategy/actions', { action: a });
  const steps = async (q = '') => (await api.request('reader', 'GET', `/api/v1/sw-update-strategy/steps${q}`)).body;
  const softwareSync = async (name: string) =>
    (await api.request('reader', 'GET', `/api/v1/subclouds/${name}`)).body.endpoint_sync_status.find((e: { endpoint_type: string }) => e.endpoint_type === 'software')?.sync_status;

  async function deployHere(id: string) {
    for (const step of ['start', 'activate', 'complete']) {
      const r = await api.request('operator', 'POST', `/api/v1/software/deploy/${step}`, step === 'start' ? { release: id } : {});
      assert.equal(r.status, 200, `${step}: ${r.text}`);
    }
    await api.request('operator', 'DELETE', '/api/v1/software/deploy');
  }

  async function fleet(prefix: string, group: string, options: { deployMs: number; deployFailRate?: number }) {
    const sim = new FleetSimulator({ controller: url, token: api.tokens.admin, subclouds: 3, hostsPerSubcloud: 1, profile: PROFILES.lan, seed: prefix, prefix, group, alarmChurnPerHour: 0, ...options });
    sims.push(sim);
    await sim.start();
    for (const s of sim.sites) {
      await until(`${s.name} online`, async () => (await api.request('reader', 'GET', `/api/v1/subclouds/${s.name}`)).body.availability_status === 'online');
      const r = await api.request('operator', 'POST', `/api/v1/subclouds/${s.name}/manage`, {});
      assert.equal(r.status, 200, r.text);
    }
    return sim;
  }

  before(async () => {
    database = await createTestDatabase(dialect);
    api = await createTestApi(database, { reportIntervalMs: 1000, siteRole: 'systemcontroller' });
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    // The controller's loop, as `starling serve` runs it.
    ticking = setInterval(() => void api.fleet.tick().catch(() => undefined), 100);
    work = await mkdtemp(join(tmpdir(), 'fleet-test-'));
    await api.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem });
    const specs: Array<Parameters<typeof makeBundle>[0]> = [
      { id: 'edge-1.0.1', files: { 'bin/app': Buffer.alloc(300_000, 7), 'etc/app.conf': 'x=1\n' } },
      { id: 'edge-1.0.2', files: { 'bin/app': 'app 1.0.2\n' } },
      { id: 'edge-1.0.3', files: { 'bin/app': 'app 1.0.3\n' } },
      { id: 'edge-1.0.4', files: { 'bin/app': 'app 1.0.4\n' } },
    ];
    for (const spec of specs) {
      const r = await api.request('admin', 'POST', '/api/v1/software/releases', await readFile(await makeBundle(spec, keys.privatePem, work)), { 'content-type': 'application/octet-stream' });
      assert.equal(r.status, 201, r.text);
    }
    for (const group of ['rail', 'forest', 'radio']) await api.request('admin', 'POST', '/api/v1/subcloud-groups', { name: group, update_apply_type: 'parallel', max_parallel_subclouds: 2 });
  });
  after(async () => {
    clearInterval(ticking);
    for (const s of sims) await s.stop();
    await api.close();
    await database.dispose();
    await rm(work, { recursive: true, force: true });
  });

  test('creation says why it cannot: release not deployed here, group settings overridden, both targets, nothing to do', async () => {
    let r = await create({ type: 'sw-deploy', release: 'edge-1.0.1' });
    assert.equal(r.status, 409);
    assert.match(r.body.message, /deploy it here first/);
    r = await create({ type: 'sw-deploy', release: 'edge-9' });
    assert.equal(r.status, 404);
    assert.match(r.body.message, /no release edge-9/);
    await deployHere('edge-1.0.1');
    r = await create({ type: 'sw-deploy', release: 'edge-1.0.1', group: 'rail', max_parallel_subclouds: 5 });
    assert.equal(r.status, 400);
    assert.match(r.body.message, /cannot be overridden/);
    r = await create({ type: 'sw-deploy', release: 'edge-1.0.1', group: 'rail', subcloud: 'x' });
    assert.equal(r.status, 400);
    r = await create({ type: 'sw-deploy', release: 'edge-1.0.1' });
    assert.equal(r.status, 409, 'no subclouds yet');
    assert.match(r.body.message, /Strategy has no steps to apply/);
  });

  test('sw-deploy with prestage across a group: every subcloud fetches, deploys and comes in-sync', async () => {
    const sim = await fleet('rail', 'rail', { deployMs: 300 });
    for (const s of sim.sites) await until(`${s.name} software out-of-sync`, async () => (await softwareSync(s.name)) === 'out-of-sync');
    // No 280.002 for software: out of sync is how a fleet waits for its rollout.
    await api.syncAudit.tick();
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=280.002')).body.items.length, 0);

    const r = await create({ type: 'sw-deploy', release: 'edge-1.0.1', group: 'rail', with_prestage: true, prestage_mbps: 50 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.state, 'initial');
    assert.equal(r.body.max_parallel_subclouds, 2, "the group's setting");
    assert.equal(r.body.steps.total, 3);
    assert.deepEqual((await steps()).items.map((s: { stage: number }) => s.stage), [1, 1, 2]);
    assert.equal((await action('apply')).status, 200);
    await until('complete', async () => (await strategy()).state === 'complete', 30_000);
    for (const s of sim.sites) {
      assert.deepEqual(s.site.deployed, ['edge-1.0.1']);
      await until(`${s.name} in-sync`, async () => (await softwareSync(s.name)) === 'in-sync');
      const detail = (await api.request('reader', 'GET', `/api/v1/subclouds/${s.name}`)).body;
      assert.equal(detail.prestage_status, 'complete');
    }
    const done = await steps();
    assert.ok(done.items.every((s: { state: string; progress: { bytes?: { done: number; total: number } } }) => s.state === 'complete' && s.progress.bytes?.done === s.progress.bytes?.total && s.progress.bytes!.total > 300_000));
    // One at a time: a second cannot be created, and a finished one is deleted.
    assert.equal((await create({ type: 'prestage', release: 'edge-1.0.2' })).status, 409);
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/sw-update-strategy')).status, 204);
    assert.equal((await api.request('reader', 'GET', '/api/v1/sw-update-strategy')).status, 404);
  });

  test('stop-on-failure: the failed steps record their cause, grouped; nothing new starts', async () => {
    await deployHere('edge-1.0.2');
    const sim = await fleet('forest', 'forest', { deployMs: 200, deployFailRate: 1 });
    for (const s of sim.sites) await until(`${s.name} reporting`, async () => (await softwareSync(s.name)) === 'out-of-sync');
    const r = await create({ type: 'sw-deploy', release: 'edge-1.0.2', group: 'forest', stop_on_failure: true });
    assert.equal(r.status, 200, r.text);
    await action('apply');
    await until('failed', async () => (await strategy()).state === 'failed', 30_000);
    const s = await strategy();
    assert.equal(s.steps.failed, 2, 'the two running at once fail');
    assert.equal(s.steps.aborted, 1, 'the third never starts');
    assert.equal(s.failures_by_cause.length, 1);
    assert.equal(s.failures_by_cause[0].cause, 'host-deploy-failed');
    assert.equal(s.failures_by_cause[0].count, 2);
    assert.match(s.failures_by_cause[0].evidence, /health check failed/);
    assert.match(s.reason, /host-deploy-failed \(2\)/);
    const failed = (await steps('?state=failed')).items[0];
    assert.match(failed.cause.where, /^forest-0000\d: upgrade-hosts controller-0$/);
    assert.match(failed.cause.repair, /forest-0000\d/);
    // The subcloud's own error log names it too (StarlingX error_description).
    const detail = (await api.request('reader', 'GET', `/api/v1/subclouds/${failed.cloud}`)).body;
    assert.match(detail.error_description, /fleet strategy/);
    const byCause = (await api.request('reader', 'GET', '/api/v1/fleet/errors')).body.items;
    assert.ok(byCause.some((g: { cause: string; subclouds: number }) => g.cause === 'orchestration:host-deploy-failed' && g.subclouds === 2));
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/sw-update-strategy')).status, 204);
  });

  test('abort while applying: the running step finishes, the rest are aborted', async () => {
    await deployHere('edge-1.0.3');
    // Deploys long enough that the abort lands during the first one on a loaded machine (at 1.5 s a full test run's
    // load once let two more finish between seeing one running and the abort taking effect).
    const sim = await fleet('radio', 'radio', { deployMs: 4000 });
    for (const s of sim.sites) await until(`${s.name} reporting`, async () => (await softwareSync(s.name)) === 'out-of-sync');
    const r = await create({ type: 'sw-deploy', release: 'edge-1.0.3', subcloud_apply_type: 'serial' });
    assert.equal(r.status, 200, r.text);
    // All out-of-sync subclouds of every group lacking edge-1.0.3, one at a time.
    assert.equal(r.body.max_parallel_subclouds, 1);
    await action('apply');
    await until('one running', async () => (await strategy()).steps.in_progress === 1);
    const aborted = await action('abort');
    assert.equal(aborted.status, 200);
    assert.equal(aborted.body.state, 'abort requested');
    await until('aborted', async () => (await strategy()).state === 'aborted', 30_000);
    const s = await strategy();
    assert.equal(s.steps.complete, 1, 'the running one finished');
    assert.equal(s.steps.aborted, s.steps.total - 1);
    assert.equal((await create({ type: 'prestage', release: 'edge-1.0.3' })).status, 409, 'still there until deleted');
    assert.equal((await api.request('reader', 'DELETE', '/api/v1/sw-update-strategy')).status, 403, 'a reader cannot delete it');
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/sw-update-strategy')).status, 204);
  });

  test('prestage: the release content is fetched to every subcloud, capped, and nothing is deployed', async () => {
    const r = await create({ type: 'prestage', release: 'edge-1.0.3', group: 'rail', prestage_mbps: 20 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.job.bytes_per_second, 2_500_000);
    await action('apply');
    await until('complete', async () => (await strategy()).state === 'complete', 30_000);
    const rail = sims[0]!;
    const done = (await steps()).items;
    // rail-00001 took edge-1.0.3 in the aborted strategy: it has it, so it gets no step.
    assert.deepEqual(done.map((s: { cloud: string }) => s.cloud), ['rail-00002', 'rail-00003']);
    assert.ok(done.every((s: { state: string; progress: { bytes: { done: number } } }) => s.state === 'complete' && s.progress.bytes.done > 0));
    for (const s of rail.sites.filter((x) => x.name !== 'rail-00001')) assert.ok(!s.site.deployed.includes('edge-1.0.3'), 'prestaged, not deployed');
    const audit = (await api.request('admin', 'GET', '/api/v1/audit?limit=20')).body.items;
    assert.ok(audit.some((a: { route: string; method: string; target_id: string }) => a.method === 'POST' && a.route === '/api/v1/sw-update-strategy' && a.target_id === 'prestage edge-1.0.3'));
  });

  test('the CLI: create (with a clear refusal), apply, show failures by cause, step list and show, delete', async () => {
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/sw-update-strategy')).status, 204);
    const op = cliRunner({ STARLING_URL: url, STARLING_TOKEN: api.tokens.operator });
    const refused = await op.run('fleet-strategy', 'create', 'sw-deploy', '--release', 'edge-1.0.3', '--group', 'forest', '--max-parallel-subclouds', '3');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /come from group forest's settings and cannot be overridden/);
    const created = await op.run('fleet-strategy', 'create', 'sw-deploy', '--release', 'edge-1.0.3', '--group', 'forest', '--prestage-mbps', '8');
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /\| state +\| initial +\|/);
    assert.match(created.out, /\| target +\| group forest +\|/);
    assert.match(created.out, /\| prestage bandwidth +\| 8\.0 Mbit\/s per subcloud +\|/);
    assert.equal((await op.run('fleet-strategy', 'apply')).code, 0);
    await until('failed', async () => (await strategy()).state === 'failed', 30_000);
    const show = await op.run('fleet-strategy', 'show');
    assert.match(show.out, /\[#{20}\] 3\/3/);
    assert.match(show.out, /Failures by cause:/);
    assert.match(show.out, /\| host-deploy-failed \| 3: forest-00001, forest-00002, forest-00003 \|/);
    const list = await op.run('fleet-strategy', 'step', 'list', '--state', 'failed');
    assert.match(list.out, /\| forest-00001 \| 1 +\| failed \|/);
    assert.match(list.out, /3 of 3 step\(s\)/);
    const one = await op.run('fleet-strategy', 'step', 'show', 'forest-00002', '-o', 'json');
    assert.equal(JSON.parse(one.out).cause.cause, 'host-deploy-failed');
    assert.match((await op.run('fleet-strategy', 'step', 'show', 'nowhere')).err, /no step for subcloud nowhere/);
    assert.equal((await op.run('fleet-strategy', 'delete')).out, 'Fleet strategy deleted');
    assert.match((await op.run('fleet-strategy', 'show')).err, /no fleet strategy/);
  });

  test('a target whose software sync is unknown stops creation, named; a step past its timeout fails with the cause', async () => {
    await deployHere('edge-1.0.4');
    const radio1 = (await api.request('reader', 'GET', '/api/v1/subclouds/radio-00001')).body.id as number;
    const setSync = (sync_status: string) =>
      database.db.updateTable('subcloud_endpoints').set({ sync_status }).where('subcloud_id', '=', radio1).where('endpoint_type', '=', 'software').execute();
    await setSync('unknown');
    const refused = await create({ type: 'sw-deploy', release: 'edge-1.0.4' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /software sync status is unknown for 1 subcloud\(s\) \(radio-00001\)/);
    await setSync('out-of-sync');

    assert.equal((await create({ type: 'sw-deploy', release: 'edge-1.0.4', subcloud: 'radio-00002' })).status, 200);
    await action('apply');
    await until('running', async () => (await strategy()).steps.in_progress === 1);
    api.clock.advance(6 * 3600_000 + 1000);
    await api.fleet.tick();
    const s = await strategy();
    assert.equal(s.state, 'failed');
    assert.equal(s.failures_by_cause[0].cause, 'step-timeout');
    const step = (await steps()).items[0];
    assert.match(step.cause.evidence, /360 min after it started/);
    assert.equal(step.cause.where, 'radio-00002');
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/sw-update-strategy')).status, 204);
  });
});
