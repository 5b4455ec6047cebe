/**
 * A software rollout across real processes on loopback, over real HTTP:
 *
 * - a system controller (`starling serve --role systemcontroller`) on a
 *   fixed port, so that it can be killed and started again where its
 *   subclouds look for it;
 * - two real subclouds (`starling serve --role subcloud`, AIO-Duplex, on
 *   fixed ports too), each
 *   with two real host agents (`starling agent --deploy-driver dir`) keeping
 *   A/B deployments on disk.
 *
 * The operator's commands are the CLI binary's: release keygen and build,
 * software trust add and upload, software deploy (on the system controller
 * first), fleet-strategy create/apply/show. A signed patch goes to both
 * subclouds and every host switches to it, while the system controller is
 * killed with SIGKILL mid-strategy and restarted, and so is a subcloud in
 * the middle of its site strategy; a release whose health
 * check fails is rolled back on the host by itself and the step shows the
 * cause; a tampered bundle is refused.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runBin, startServe } from '../helpers/processes.js';
import { packTar, tarEntries } from '../helpers/releases.js';
import { until as untilWithin } from '../helpers/until.js';
import { enrollToken, Site, spawnBin } from '../helpers/e2e-site.js';

const PASSWORD = 'rollout-e2e-admin-pw';
const ENV = { STARLING_ADMIN_PASSWORD: PASSWORD, STARLING_REPORT_INTERVAL_MS: '1000', STARLING_SUBCLOUD_AUDIT_WINDOW_MS: '2000' };
const SUBCLOUD_ENV = { ...ENV, STARLING_UPLINK_BACKOFF_CAP_MS: '1000' };
const HOSTS = ['controller-0', 'controller-1'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Waits up to a minute by default: a site strategy on two hosts takes a few seconds per step. */
const until = <T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000) => untilWithin(what, probe, timeoutMs, 200);


/** A release folder: release.json and content/. */
function releaseDir(root: string, id: string, health: string): string {
  const dir = join(root, id);
  mkdirSync(join(dir, 'content', 'bin'), { recursive: true });
  writeFileSync(join(dir, 'content', 'bin', 'app'), `${id}\n`);
  writeFileSync(join(dir, 'content', 'bin', 'health.sh'), health, { mode: 0o755 });
  writeFileSync(join(dir, 'release.json'), JSON.stringify({ id, version: id.replace(/^edge-/, ''), summary: `rollout e2e ${id}`, health_check: 'bin/health.sh' }));
  return dir;
}

describe('software rollout: signed patch to two real subclouds with real agents on the dir deployer, through a kill -9 of the system controller and a subcloud', () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-rollout-'));
  const children: ChildProcess[] = [];
  let central: Site;
  let port: number;
  const subclouds: Site[] = [];
  const deployRoot = (site: string, host: string) => join(home, `${site}-${host}`, 'deployments');

  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killAll);

  const subcloudPorts = new Map<string, number>();
  /** A subcloud on its fixed port (its agents look for it there); enrolled once, its credential kept in its database. */
  const startSubcloud = async (name: string, extra: string[] = []) => {
    const served = await startServe(
      ['--role', 'subcloud', '--system-name', name, '--system-mode', 'duplex', '--data-dir', join(home, name), '--system-controller', central.url, '--port', String(subcloudPorts.get(name)), ...extra],
      SUBCLOUD_ENV,
    );
    children.push(served.child);
    return served;
  };

  const startCentral = async () => {
    const served = await startServe(['--role', 'systemcontroller', '--system-name', 'central', '--data-dir', join(home, 'central'), '--port', String(port)], ENV);
    children.push(served.child);
    return served;
  };

  before(async () => {
    port = await freePort();
    central = new Site('central', await startCentral(), PASSWORD);
    for (const name of ['sc-a', 'sc-b']) {
      const token = enrollToken(await central.cli(home, 'subcloud', 'add', name, '--location', `rollout ${name}`));
      subcloudPorts.set(name, await freePort());
      const site = new Site(name, await startSubcloud(name, ['--enroll-token', token]), PASSWORD);
      subclouds.push(site);
      for (const host of HOSTS) {
        const hostToken = enrollToken(await site.cli(home, 'host', 'add', host, '--personality', 'controller'));
        const agent = spawnBin(
          ['agent', '--controller', site.url, '--hostname', host, '--state-dir', join(home, `${name}-${host}`), '--driver', 'sim', '--deploy-driver', 'dir', '--deploy-root', deployRoot(name, host), '--log-level', 'warn', '--enroll-token', hostToken],
          { HOME: home, STARLING_REPORT_INTERVAL_MS: '1000' },
        );
        children.push(agent.child);
      }
    }
    for (const site of subclouds) {
      for (const host of HOSTS) {
        await until(`${site.name}/${host} online`, async () => (await site.ok('GET', `/api/v1/hosts/${host}`)).availability === 'online');
        await site.ok('POST', `/api/v1/hosts/${host}/actions`, { action: 'unlock' });
        await until(`${site.name}/${host} available`, async () => (await site.ok('GET', `/api/v1/hosts/${host}`)).availability === 'available');
      }
      await until(`${site.name} online centrally`, async () => (await central.ok('GET', `/api/v1/subclouds/${site.name}`)).availability_status === 'online');
      await central.ok('POST', `/api/v1/subclouds/${site.name}/manage`, {});
    }
  });

  after(() => {
    killAll();
    rmSync(home, { recursive: true, force: true });
  });

  const software = async (name: string) => (await central.ok('GET', `/api/v1/subclouds/${name}`)).endpoint_sync_status.find((e: { endpoint_type: string }) => e.endpoint_type === 'software')?.sync_status;
  const running = (site: string, host: string) => basename(readlinkSync(join(deployRoot(site, host), 'current')));

  test('a signed patch deployed on the system controller, then by a fleet strategy to both subclouds; kill -9 of the system controller and of sc-b mid-strategy', async () => {
    await central.cli(home, 'release', 'keygen', '--out', join(home, 'team'));
    await central.cli(home, 'software', 'trust', 'add', join(home, 'team.pub'), '--name', 'release team');
    for (const [id, health] of [
      ['edge-1.0.1', '#!/bin/sh\ngrep -q edge-1.0.1 bin/app\n'],
      ['edge-1.0.2', '#!/bin/sh\necho "radio service did not come up after the switch" >&2\nexit 1\n'],
    ] as const) {
      await central.cli(home, 'release', 'build', releaseDir(home, id, health), '--key', join(home, 'team.key'), '--out', join(home, `${id}.tar`));
      await central.cli(home, 'software', 'upload', join(home, `${id}.tar`));
    }
    // The system controller first (it has no hosts: a hostless deploy).
    for (const step of [['start', 'edge-1.0.1'], ['activate'], ['complete'], ['delete']]) await central.cli(home, 'software', 'deploy', ...step);
    for (const site of subclouds) await until(`${site.name} software out-of-sync`, async () => (await software(site.name)) === 'out-of-sync');

    const created = await central.cli(home, 'fleet-strategy', 'create', 'sw-deploy', '--release', 'edge-1.0.1', '--max-parallel-subclouds', '2', '--stop-on-failure');
    assert.match(created, /\| state +\| initial +\|/);
    await central.cli(home, 'fleet-strategy', 'apply');
    // Mid-strategy: both subclouds have their job and are applying their site strategies.
    await until('both steps applying', async () => {
      const steps = (await central.ok('GET', '/api/v1/sw-update-strategy/steps')).items as Array<{ state: string }>;
      return steps.length === 2 && steps.every((s) => s.state === 'apply VIM sw-deploy strategy');
    });
    central.served.child.kill('SIGKILL');
    await central.served.exited;
    // A subcloud too, in the middle of its site strategy.
    const scB = subclouds[1]!;
    scB.served.child.kill('SIGKILL');
    await scB.served.exited;
    central.served = await startCentral();
    scB.served = await startSubcloud('sc-b');
    await until('the strategy complete after the restart', async () => (await central.ok('GET', '/api/v1/sw-update-strategy')).state === 'complete', 120_000);

    const shown = await central.cli(home, 'fleet-strategy', 'show');
    assert.match(shown, /2 complete, 0 failed/);
    for (const site of subclouds) {
      for (const host of HOSTS) assert.equal(running(site.name, host), 'edge-1.0.1', `${site.name}/${host} switched`);
      assert.equal(readFileSync(join(deployRoot(site.name, HOSTS[0]!), 'current', 'bin', 'app'), 'utf8'), 'edge-1.0.1\n');
      const releases = (await site.ok('GET', '/api/v1/software/releases')).items as Array<{ release_id: string; state: string }>;
      assert.deepEqual(releases.map((r) => `${r.release_id} ${r.state}`), ['edge-1.0.1 deployed'], 'fetched from the system controller, and deployed');
      // Each site strategy ran once and was deleted when applied.
      assert.equal((await site.api('GET', '/api/v1/orchestration/sw-deploy/strategy')).status, 404);
      await until(`${site.name} software in-sync`, async () => (await software(site.name)) === 'in-sync');
    }
    await central.cli(home, 'fleet-strategy', 'delete');
  });

  test('a release whose health check fails: rolled back on the host by itself, the step shows the cause', async () => {
    for (const step of [['start', 'edge-1.0.2'], ['activate'], ['complete'], ['delete']]) await central.cli(home, 'software', 'deploy', ...step);
    await central.cli(home, 'fleet-strategy', 'create', 'sw-deploy', '--release', 'edge-1.0.2', '--subcloud', 'sc-a');
    await central.cli(home, 'fleet-strategy', 'apply');
    await until('the strategy failed', async () => (await central.ok('GET', '/api/v1/sw-update-strategy')).state === 'failed', 120_000);
    const step = await central.ok('GET', '/api/v1/sw-update-strategy/steps/sc-a');
    assert.equal(step.state, 'failed');
    assert.equal(step.cause.cause, 'host-deploy-failed');
    assert.equal(step.cause.where, 'sc-a: upgrade-hosts controller-0');
    assert.match(step.cause.evidence, /radio service did not come up after the switch/);
    const shown = await central.cli(home, 'fleet-strategy', 'show');
    assert.match(shown, /\| host-deploy-failed \| 1: sc-a +\|/);
    for (const host of HOSTS) assert.equal(running('sc-a', host), 'edge-1.0.1', `sc-a/${host} still runs the good release`);
    assert.match((await central.ok('GET', '/api/v1/subclouds/sc-a')).error_description, /rolled back/);
    await central.cli(home, 'fleet-strategy', 'delete');
  });

  test('a tampered bundle is refused with the reason, and nothing is kept', async () => {
    const entries = await tarEntries(join(home, 'edge-1.0.1.tar'));
    const meta = JSON.parse(entries.find((e) => e.name === 'release.json')!.body.toString()) as { id: string };
    meta.id = 'edge-1.0.9';
    const tampered = entries.map((e) => (e.name === 'release.json' ? { ...e, body: Buffer.from(JSON.stringify(meta, null, 2) + '\n') } : e));
    writeFileSync(join(home, 'tampered.tar'), await packTar(tampered));
    const r = await runBin(['software', 'upload', join(home, 'tampered.tar')], { HOME: home, STARLING_URL: central.url, STARLING_TOKEN: await central.session() });
    assert.equal(r.code, 1);
    assert.match(r.err, /signature does not match release\.json/);
    const ids = ((await central.ok('GET', '/api/v1/software/releases')).items as Array<{ release_id: string }>).map((x) => x.release_id);
    assert.deepEqual(ids, ['edge-1.0.1', 'edge-1.0.2']);
  });
});
