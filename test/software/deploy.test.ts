import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostAgent } from '../../src/agent/agent.js';
import { DirDeployer } from '../../src/agent/deploy/dir-deployer.js';
import { SimDriver } from '../../src/agent/drivers/sim.js';
import { silentLogger } from '../../src/core/logging.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { makeBundle, newKeys } from '../helpers/releases.js';

const until = async (what: string, pred: () => Promise<boolean> | boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

describeEachBackend('software deploy on a site: real agents with the dir deployer', (_ctx, dialect) => {
  // One system for the whole story (the tests follow each other), on its own database.
  let database: TestDatabase;
  let api: TestApi;
  let work: string;
  const agents: HostAgent[] = [];
  const roots: Record<string, DirDeployer> = {};
  const keys = newKeys();

  before(async () => {
    database = await createTestDatabase(dialect);
    api = await createTestApi(database, { reportIntervalMs: 500, systemMode: 'duplex' });
    const url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    work = await mkdtemp(join(tmpdir(), 'deploy-test-'));
    for (const hostname of ['controller-0', 'controller-1']) {
      const { body } = await api.request('admin', 'POST', '/api/v1/hosts', { hostname, personality: 'controller' });
      const deployer = new DirDeployer(join(work, hostname, 'deploy'), 5000);
      roots[hostname] = deployer;
      const agent = new HostAgent({
        controller: url,
        hostname,
        stateDir: join(work, hostname, 'state'),
        enrollToken: body.enroll_token,
        driver: new SimDriver(),
        inventory: async () => ({ cpu: 'unknown', memory: { total_mib: 2048, numa: [] }, disks: [], nics: [], kernel: {}, os: {} }),
        log: silentLogger(),
        random: () => 0.05,
        deploy: { deployer, root: join(work, hostname, 'deploy') },
      });
      await agent.start();
      agents.push(agent);
    }
    for (const hostname of ['controller-0', 'controller-1']) {
      await until(`${hostname} online`, async () => (await api.request('reader', 'GET', `/api/v1/hosts/${hostname}`)).body.availability === 'online');
      const r = await api.request('operator', 'POST', `/api/v1/hosts/${hostname}/actions`, { action: 'unlock' });
      assert.equal(r.status, 200, r.text);
      await until(`${hostname} available`, async () => (await api.request('reader', 'GET', `/api/v1/hosts/${hostname}`)).body.availability === 'available');
    }
    await api.request('admin', 'POST', '/api/v1/software/trust', { public_key: keys.publicPem });
    const upload = async (spec: Parameters<typeof makeBundle>[0]) => {
      const r = await api.request('admin', 'POST', '/api/v1/software/releases', await readFile(await makeBundle(spec, keys.privatePem, work)), { 'content-type': 'application/octet-stream' });
      assert.equal(r.status, 201, r.text);
    };
    await upload({ id: 'app-1.0.1', health_check: 'bin/health.sh', files: { 'bin/app': 'app 1.0.1\n', 'bin/health.sh': '#!/bin/sh\ngrep -q 1.0.1 bin/app\n' } });
    await upload({ id: 'app-1.0.2', version: '1.0.2', requires: ['app-1.0.1'], health_check: 'bin/health.sh', files: { 'bin/app': 'app 1.0.2\n', 'bin/health.sh': '#!/bin/sh\necho "widget service did not start" >&2\nexit 1\n' } });
    await upload({ id: 'app-1.0.3', version: '1.0.3', requires: ['app-1.0.1'], reboot_required: true, files: { 'bin/app': 'app 1.0.3\n' } });
    await upload({ id: 'app-1.0.4', version: '1.0.4', requires: ['app-1.0.1'], files: { 'bin/app': 'app 1.0.4\n' } });
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await api.close();
    await database.dispose();
    await rm(work, { recursive: true, force: true });
  });

  const post = (path: string, body: object = {}) => api.request('operator', 'POST', `/api/v1/software/deploy${path}`, body);
  const deploy = async () => (await api.request('reader', 'GET', '/api/v1/software/deploy')).body;
  const hostState = async (h: string) => (await deploy()).hosts.find((x: { hostname: string }) => x.hostname === h);
  const activeAlarms = async (id: string) => (await api.request('reader', 'GET', `/api/v1/alarms?alarm_id=${id}`)).body.items.map((a: { entity_instance_id: string }) => a.entity_instance_id);

  test('precheck names what is missing; a release whose requirement is not deployed cannot start', async () => {
    await until('agents reported their software', async () => (await post('/precheck', { release: 'app-1.0.1' })).body.ok === true);
    const r = await post('/precheck', { release: 'app-1.0.2' });
    assert.equal(r.body.ok, false);
    assert.deepEqual(r.body.findings.filter((f: { ok: boolean }) => !f.ok).map((f: { check: string; detail: string }) => `${f.check}: ${f.detail}`), ['requires: requires app-1.0.1 deployed first']);
    const start = await post('/start', { release: 'app-1.0.2' });
    assert.equal(start.status, 409);
    assert.match(start.body.message, /precheck failed for app-1\.0\.2: requires: requires app-1\.0\.1 deployed first/);
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/deploy')).status, 404);
  });

  test('start, deploy each host, activate, complete: the hosts switch to the new deployment', async () => {
    let r = await post('/start', { release: 'app-1.0.1' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.state, 'start-done');
    assert.deepEqual(r.body.hosts.map((h: { state: string }) => h.state), ['pending', 'pending']);
    assert.deepEqual(await activeAlarms('900.023'), ['release=app-1.0.1']);
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases/app-1.0.1')).body.state, 'deploying');
    assert.equal((await post('/start', { release: 'app-1.0.4' })).status, 409, 'one deploy at a time');
    assert.equal((await post('/activate')).status, 409, 'activate waits for every host');

    r = await post('/hosts/controller-0');
    assert.equal(r.status, 200, r.text);
    await until('controller-0 deployed', async () => (await hostState('controller-0')).state === 'deployed');
    assert.equal((await deploy()).state, 'host');
    assert.equal(await readFile(join(roots['controller-0']!.root, 'current', 'bin', 'app'), 'utf8'), 'app 1.0.1\n');
    await post('/hosts/controller-1');
    await until('controller-1 deployed', async () => (await hostState('controller-1')).state === 'deployed');
    assert.equal((await deploy()).state, 'host-done');
    assert.equal((await hostState('controller-1')).running, 'app-1.0.1');

    assert.equal((await post('/activate')).body.state, 'activate-done');
    assert.equal((await post('/complete')).body.state, 'completed');
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases/app-1.0.1')).body.state, 'deployed');
    assert.deepEqual(await activeAlarms('900.023'), []);
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/software/deploy')).status, 204);
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/deploy')).status, 404);
  });

  test('a release whose health check fails is rolled back on the host by itself; the host deploy shows why; abort returns the release', async () => {
    assert.equal((await post('/start', { release: 'app-1.0.2' })).status, 200);
    await post('/hosts/controller-0');
    await until('controller-0 failed', async () => (await hostState('controller-0')).state === 'failed');
    const h = await hostState('controller-0');
    assert.match(h.error, /health check bin\/health\.sh of app-1\.0\.2 exited with code 1/);
    assert.match(h.error, /widget service did not start/);
    assert.equal(h.running, 'app-1.0.1', 'the host is back on what it ran');
    assert.equal(await readFile(join(roots['controller-0']!.root, 'current', 'bin', 'app'), 'utf8'), 'app 1.0.1\n');
    assert.equal((await deploy()).state, 'host-failed');
    assert.deepEqual(await activeAlarms('900.021'), ['host=controller-0']);

    const aborted = await post('/abort');
    assert.equal(aborted.body.state, 'host-rollback-done', 'nothing switched: nothing to roll back');
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases/app-1.0.2')).body.state, 'available');
    assert.deepEqual(await activeAlarms('900.021'), []);
    assert.deepEqual(await activeAlarms('900.023'), []);
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/software/deploy')).status, 204);
  });

  test('a reboot-required release needs the host locked', async () => {
    assert.equal((await post('/start', { release: 'app-1.0.3' })).status, 200);
    const r = await post('/hosts/controller-1');
    assert.equal(r.status, 409);
    assert.match(r.body.message, /app-1\.0\.3 is reboot-required: lock controller-1 first/);
    // Locked, deployed: 900.020 asks for the unlock, which clears it.
    const action = (a: string) => api.request('operator', 'POST', '/api/v1/hosts/controller-1/actions', { action: a });
    assert.equal((await action('lock')).status, 200);
    assert.equal((await post('/hosts/controller-1')).status, 200);
    await until('controller-1 deployed', async () => (await hostState('controller-1')).state === 'deployed');
    assert.deepEqual(await activeAlarms('900.020'), ['host=controller-1']);
    const [waiting] = (await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=900.020')).body.items;
    assert.match(waiting.reason_text, /app-1\.0\.3 completed on controller-1; unlock it/);
    assert.equal((await action('unlock')).status, 200);
    assert.deepEqual(await activeAlarms('900.020'), []);
    await until('controller-1 available', async () => (await api.request('reader', 'GET', '/api/v1/hosts/controller-1')).body.availability === 'available');
    // Back out: abort, roll controller-1 back.
    assert.equal((await post('/abort')).body.state, 'host-rollback');
    await post('/hosts/controller-1/rollback');
    await until('controller-1 rolled back', async () => (await deploy()).state === 'host-rollback-done');
    await api.request('operator', 'DELETE', '/api/v1/software/deploy');
  });

  test('abort after a host switched: host-rollback returns it to the previous deployment', async () => {
    assert.equal((await post('/start', { release: 'app-1.0.4' })).status, 200);
    await post('/hosts/controller-1');
    await until('controller-1 deployed', async () => (await hostState('controller-1')).state === 'deployed');
    assert.equal(await readFile(join(roots['controller-1']!.root, 'current', 'bin', 'app'), 'utf8'), 'app 1.0.4\n');
    const aborted = await post('/abort');
    assert.equal(aborted.body.state, 'host-rollback');
    assert.deepEqual(aborted.body.hosts.map((x: { hostname: string; state: string }) => `${x.hostname}:${x.state}`), ['controller-0:rollback-deployed', 'controller-1:rollback-pending']);
    assert.equal((await post('/hosts/controller-0/rollback')).status, 409);
    await post('/hosts/controller-1/rollback');
    await until('controller-1 rolled back', async () => (await deploy()).state === 'host-rollback-done');
    assert.equal(await readFile(join(roots['controller-1']!.root, 'current', 'bin', 'app'), 'utf8'), 'app 1.0.1\n');
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases/app-1.0.4')).body.state, 'available');
    assert.equal((await api.request('reader', 'POST', '/api/v1/software/deploy/abort', {})).status, 403, 'readers change nothing');
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/software/deploy')).status, 204);
  });

  test('deploying a deployed release again removes the patches above it: removing, then available', async () => {
    const release = async (id: string) => (await api.request('reader', 'GET', `/api/v1/software/releases/${id}`)).body.state;
    const runThrough = async (id: string) => {
      assert.equal((await post('/start', { release: id })).status, 200);
      for (const h of ['controller-0', 'controller-1']) {
        await post(`/hosts/${h}`);
        await until(`${h} deployed`, async () => (await hostState(h)).state === 'deployed');
      }
      await post('/activate');
      assert.equal((await post('/complete')).body.state, 'completed');
      await api.request('operator', 'DELETE', '/api/v1/software/deploy');
    };
    await runThrough('app-1.0.4');
    assert.deepEqual([await release('app-1.0.1'), await release('app-1.0.4')], ['deployed', 'deployed']);
    const nothing = await post('/precheck', { release: 'app-1.0.4' });
    assert.match(nothing.body.findings[0].detail, /app-1\.0\.4 is already the deployed release/);
    const check = await post('/precheck', { release: 'app-1.0.1' });
    assert.equal(check.body.findings[0].detail, 'app-1.0.1 is deployed: deploying it removes app-1.0.4');

    // Started, then aborted before any host switched: the patch stays deployed.
    assert.equal((await post('/start', { release: 'app-1.0.1' })).status, 200);
    assert.deepEqual([await release('app-1.0.1'), await release('app-1.0.4')], ['deployed', 'removing']);
    assert.equal((await post('/abort')).body.state, 'host-rollback-done');
    assert.deepEqual([await release('app-1.0.1'), await release('app-1.0.4')], ['deployed', 'deployed']);
    await api.request('operator', 'DELETE', '/api/v1/software/deploy');

    // Carried through: the hosts run app-1.0.1 again, and app-1.0.4 is available (to deploy again, or delete).
    await runThrough('app-1.0.1');
    assert.equal(await readFile(join(roots['controller-0']!.root, 'current', 'bin', 'app'), 'utf8'), 'app 1.0.1\n');
    assert.deepEqual([await release('app-1.0.1'), await release('app-1.0.4')], ['deployed', 'available']);
  });

  const strategy = async () => (await api.request('reader', 'GET', '/api/v1/orchestration/sw-deploy/strategy')).body;
  const runStrategy = async (until_: string[]) => {
    await until(`strategy ${until_.join(' or ')}`, async () => {
      await api.strategy.tick();
      return until_.includes((await strategy()).state);
    }, 20_000);
    return strategy();
  };

  test('a sw-deploy strategy is built into stages and steps and applied to the end; the hosts run the release', async () => {
    const created = await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy', { release: 'app-1.0.4', alarm_restrictions: 'relaxed' });
    assert.equal(created.status, 200, created.text);
    assert.equal(created.body.state, 'ready-to-apply');
    assert.deepEqual(created.body.stages.map((s: { name: string }) => s.name), ['sw-upgrade-query', 'sw-upgrade-start', 'sw-upgrade-controllers', 'sw-upgrade-controllers', 'sw-upgrade-complete', 'sw-deploy-delete']);
    assert.deepEqual(created.body.stages[2].steps.map((s: { name: string; entity_names: string[]; timeout_s: number }) => `${s.name}:${s.entity_names}:${s.timeout_s}`), ['upgrade-hosts:controller-0:1800', 'system-stabilize:controller-0:300']);
    assert.equal((await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy', { release: 'app-1.0.4' })).status, 409, 'one strategy at a time');
    assert.equal((await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy/actions', { action: 'apply-all' })).body.state, 'applying');
    const done = await runStrategy(['applied', 'apply-failed', 'apply-timeout']);
    assert.equal(done.state, 'applied', done.reason);
    assert.deepEqual([done.progress.done, done.progress.total], [10, 10]);
    assert.ok(done.stages.every((s: { steps: Array<{ result: string }> }) => s.steps.every((st) => st.result === 'success')));
    for (const h of ['controller-0', 'controller-1']) assert.equal(await readFile(join(roots[h]!.root, 'current', 'bin', 'app'), 'utf8'), 'app 1.0.4\n');
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/releases/app-1.0.4')).body.state, 'deployed');
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/deploy')).status, 404, 'the strategy deleted the finished deploy');
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/orchestration/sw-deploy/strategy')).status, 204);
  });

  test('a strategy whose release fails its health check stops with the cause; one for a release that is not available fails to build', async () => {
    await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy', { release: 'app-1.0.2', alarm_restrictions: 'permissive' });
    await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy/actions', { action: 'apply-all' });
    const failed = await runStrategy(['applied', 'apply-failed', 'apply-timeout']);
    assert.equal(failed.state, 'apply-failed');
    assert.match(failed.reason, /^upgrade-hosts controller-0: deploy failed on controller-0: health check bin\/health\.sh of app-1\.0\.2 exited with code 1/);
    assert.equal(failed.stages[3].steps[0].result, 'initial', 'nothing after the failure ran');
    assert.equal((await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy/actions', { action: 'abort' })).status, 409);
    assert.equal((await api.request('operator', 'DELETE', '/api/v1/orchestration/sw-deploy/strategy')).status, 204);
    assert.equal((await post('/abort')).body.state, 'host-rollback-done');
    await api.request('operator', 'DELETE', '/api/v1/software/deploy');

    const stale = await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy', { release: 'app-1.0.1' });
    assert.equal(stale.body.state, 'build-failed');
    assert.match(stale.body.reason, /release app-1\.0\.1 is deployed/);
    const bad = await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy/actions', { action: 'apply-all' });
    assert.equal(bad.status, 409);
    await api.request('operator', 'DELETE', '/api/v1/orchestration/sw-deploy/strategy');
  });

  test('abort while applying: what was done stands, nothing new starts', async () => {
    await api.request('admin', 'DELETE', '/api/v1/software/releases/app-1.0.3');
    await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy', { release: 'app-1.0.2', alarm_restrictions: 'permissive' });
    await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy/actions', { action: 'apply-all' });
    await api.strategy.tick();
    const aborting = await api.request('operator', 'POST', '/api/v1/orchestration/sw-deploy/strategy/actions', { action: 'abort' });
    assert.equal(aborting.body.state, 'aborting');
    const stopped = await runStrategy(['aborted']);
    const results = stopped.stages.flatMap((s: { steps: Array<{ name: string; result: string }> }) => s.steps.map((st) => `${st.name}:${st.result}`));
    assert.equal(results[0], 'query-alarms:success', 'the step taken before the abort stands');
    assert.ok(results.slice(1).every((r: string) => r.endsWith(':aborted')), results.join(' '));
    assert.equal((await api.request('reader', 'GET', '/api/v1/software/deploy')).status, 404, 'the deploy never started');
  });
});
