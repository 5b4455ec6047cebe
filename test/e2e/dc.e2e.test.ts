/**
 * A distributed cloud of real processes on loopback, over real HTTP:
 *
 * - a system controller (`starling serve --role systemcontroller`), and a
 *   second one to rehome to;
 * - two real subclouds (`starling serve --role subcloud`, each on its own
 *   SQLite file), each with a real host agent (`starling agent --driver
 *   sim`) enrolled with a token from `starling host add` on that subcloud;
 *   sc-a reaches the system controller through an ImpairmentProxy (a real
 *   TCP proxy, profile lan) that the test cuts and restores;
 * - 200 simulated subclouds from a `starling sim` process.
 *
 * The controllers run with a 1 s report interval and a 2 s audit window
 * (offline after two missed windows: 4-6 s), and the subclouds with a 1 s
 * reconnect backoff cap, so the whole file runs in well under a minute.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ImpairmentProxy, parseProfile, seededRandom, WanLink } from '../../src/sim/wan/index.js';
import { startServe } from '../helpers/processes.js';
import { until } from '../helpers/until.js';
import { call, enrollToken, login, Site, spawnBin } from '../helpers/e2e-site.js';

const PASSWORD = 'dc-e2e-admin-pw';
const SIMULATED = 200;
const CONTROLLER_ENV = {
  STARLING_ADMIN_PASSWORD: PASSWORD,
  STARLING_REPORT_INTERVAL_MS: '1000',
  STARLING_SUBCLOUD_AUDIT_WINDOW_MS: '2000',
};
const SUBCLOUD_ENV = { ...CONTROLLER_ENV, STARLING_UPLINK_BACKOFF_CAP_MS: '1000' };


describe('distributed cloud: system controller, two real subclouds with agents, 200 simulated, a cut link and a rehome', () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-dc-'));
  const children: ChildProcess[] = [];
  let central: Site;
  let second: Site;
  let proxy: ImpairmentProxy;
  const subclouds = new Map<string, Site>();
  let sim: ReturnType<typeof spawnBin> | undefined;

  const fleetAlarms = async (on: Site, subcloud: string, alarmId: string): Promise<string[]> =>
    ((await on.ok('GET', `/api/v1/fleet/alarms?subcloud=${subcloud}&alarm_id=${alarmId}&limit=1000`)).items as Array<{ alarm_id: string; entity_instance_id: string; severity: string }>)
      .map((a) => `${a.alarm_id} ${a.entity_instance_id} ${a.severity}`)
      .sort();
  const localAlarms = async (on: Site, alarmId: string): Promise<string[]> =>
    ((await on.ok('GET', `/api/v1/alarms?alarm_id=${alarmId}&limit=1000`)).items as Array<{ alarm_id: string; entity_instance_id: string; severity: string }>)
      .map((a) => `${a.alarm_id} ${a.entity_instance_id} ${a.severity}`)
      .sort();
  const show = async (on: Site, name: string) => on.ok('GET', `/api/v1/subclouds/${name}`);
  const online = async (prefix = '') => (await central.ok('GET', `/api/v1/subclouds?availability_status=online&limit=1000${prefix ? `&name=${prefix}` : ''}`)).items.length as number;
  const raise = (entity: string, severity = 'major') => ({ alarm_id: '100.104', entity_instance_id: `host=controller-0.filesystem=${entity}`, severity, reason_text: `dc e2e: ${entity}` });

  before(async () => {
    const [c1, c2] = await Promise.all([
      startServe(['--role', 'systemcontroller', '--system-name', 'central', '--data-dir', join(home, 'central')], CONTROLLER_ENV),
      startServe(['--role', 'systemcontroller', '--system-name', 'central-2', '--data-dir', join(home, 'central-2')], CONTROLLER_ENV),
    ]);
    children.push(c1.child, c2.child);
    central = new Site('central', c1, PASSWORD);
    second = new Site('central-2', c2, PASSWORD);

    proxy = new ImpairmentProxy({ target: { host: '127.0.0.1', port: Number(new URL(central.url).port), https: true }, link: new WanLink({ profile: parseProfile('lan'), random: seededRandom('dc-e2e') }) });
    await proxy.start();

    // Each subcloud is added centrally (CLI) and started with the printed token; sc-a through the proxy.
    const started = await Promise.all(
      (['sc-a', 'sc-b'] as const).map(async (name) => {
        const token = enrollToken(await central.cli(home, 'subcloud', 'add', name, '--location', `e2e ${name}`));
        const systemController = name === 'sc-a' ? proxy.url : central.url;
        const served = await startServe(['--role', 'subcloud', '--system-name', name, '--data-dir', join(home, name), '--system-controller', systemController, '--enroll-token', token], SUBCLOUD_ENV);
        children.push(served.child);
        return new Site(name, served, PASSWORD);
      }),
    );
    for (const s of started) subclouds.set(s.name, s);
  });

  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // Also if the runner ends this process before after() runs.
  process.once('exit', killAll);

  after(async () => {
    killAll();
    await proxy?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const sc = (name: string): Site => subclouds.get(name)!;

  test(`all ${SIMULATED + 2} subclouds enroll and come online; each real subcloud runs a real agent`, async () => {
    // A host on each real subcloud: `starling host add` there, then `starling agent` with its token.
    for (const site of subclouds.values()) {
      const token = enrollToken(await site.cli(home, 'host', 'add', 'controller-0', '--personality', 'controller'));
      const agent = spawnBin(
        ['agent', '--controller', site.url, '--hostname', 'controller-0', '--state-dir', join(home, `${site.name}-agent`), '--driver', 'sim', '--log-level', 'warn', '--enroll-token', token],
        { HOME: home },
      );
      children.push(agent.child);
    }
    sim = spawnBin(
      ['sim', '--subclouds', String(SIMULATED), '--system-controller', central.url, '--token', await central.session(), '--ca-file', central.served.caFile!, '--prefix', 'sim', '--profile', 'lan', '--seed', '7', '--alarm-rate', '0'],
      { HOME: home },
    );
    children.push(sim.child);

    for (const site of subclouds.values()) {
      await until(`${site.name}'s agent online`, async () => (await site.ok('GET', '/api/v1/hosts/controller-0')).availability === 'online');
    }
    await until(`the simulator enrolled ${SIMULATED}`, async () => sim!.output().includes(`enrolled ${SIMULATED}/${SIMULATED}`) || (sim!.child.exitCode !== null && assert.fail(`sim exited:\n${sim!.output()}`)), 60_000, 250);
    await until(`${SIMULATED + 2} subclouds online`, async () => (await online()) === SIMULATED + 2, 30_000, 250);
    for (const name of subclouds.keys()) {
      const s = await show(central, name);
      assert.equal(s.deploy_status, 'complete', name);
      assert.equal(s.management_state, 'unmanaged', name);
    }
    // The subcloud's own host alarm (a new host is locked: 200.001) reached the system controller.
    for (const name of subclouds.keys()) {
      await until(`${name}'s 200.001 centrally`, async () => (await fleetAlarms(central, name, '200.001')).includes('200.001 host=controller-0 warning'));
    }
    assert.equal(sim.output().includes('failed'), false, sim.output());
  });

  test('a user created centrally logs into both managed subclouds', async () => {
    for (const name of subclouds.keys()) {
      assert.equal((await central.ok('POST', `/api/v1/subclouds/${name}/manage`, {})).management_state, 'managed');
    }
    await central.ok('POST', '/api/v1/users', { name: 'noc-ana', role: 'operator', password: 'noc-ana-pw-1' }, 201);
    for (const site of subclouds.values()) {
      // Polled as the subcloud's admin (not by logging in as noc-ana: failed logins are rate-limited).
      await until(`noc-ana synced to ${site.name}`, async () => (await site.api('GET', '/api/v1/users/noc-ana')).status === 200);
      const r = await login(site.url, 'noc-ana', 'noc-ana-pw-1');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.user.role, 'operator');
    }
    for (const name of subclouds.keys()) {
      await until(`${name} identity in-sync`, async () => (await show(central, name)).endpoint_sync_status.find((e: { endpoint_type: string }) => e.endpoint_type === 'identity').sync_status === 'in-sync');
    }
  });

  test("an alarm raised on a subcloud's host (by the central user) is visible centrally", async () => {
    const site = sc('sc-b');
    const session = (await login(site.url, 'noc-ana', 'noc-ana-pw-1')).body.token as string;
    const r = await call(site.url, session, 'POST', '/api/v1/alarms', raise('/e2e', 'critical'));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await until('the alarm in the fleet view', async () => (await fleetAlarms(central, 'sc-b', '100.104')).includes('100.104 host=controller-0.filesystem=/e2e critical'));
    assert.deepEqual(
      (await fleetAlarms(central, 'sc-a', '100.104')).filter((a) => a.includes('/e2e')),
      [],
      'only on the subcloud that raised it',
    );
  });

  test('sc-a cut behind the impairment proxy: offline with 280.001; restored: online, alarms raised meanwhile delivered once', async () => {
    const site = sc('sc-a');
    await until('sc-a online', async () => (await show(central, 'sc-a')).availability_status === 'online');
    const refusedBefore = proxy.stats.refused;
    proxy.cut();

    // Raised, updated and cleared on the subcloud while its link is down: they queue (its event log).
    for (const q of ['/e2e-q1', '/e2e-q2', '/e2e-q3', '/e2e-q4']) await site.ok('POST', '/api/v1/alarms', raise(q), 201);
    await site.ok('POST', '/api/v1/alarms/clear', { alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/e2e-q1' }, 204);
    await site.ok('POST', '/api/v1/alarms', raise('/e2e-q2', 'critical'), 200);
    const expected = ['100.104 host=controller-0.filesystem=/e2e-q2 critical', '100.104 host=controller-0.filesystem=/e2e-q3 major', '100.104 host=controller-0.filesystem=/e2e-q4 major'];
    const queued = async (on: Site, subcloud?: string) => (subcloud ? await fleetAlarms(on, subcloud, '100.104') : await localAlarms(on, '100.104')).filter((a) => a.includes('/e2e-q'));
    assert.deepEqual(await queued(site), expected);

    await until('sc-a offline', async () => (await show(central, 'sc-a')).availability_status === 'offline', 20_000);
    const offlineAlarms = await localAlarms(central, '280.001');
    assert.deepEqual(offlineAlarms, ['280.001 subcloud=sc-a critical'], 'only the cut subcloud is offline');
    assert.equal(await online(), SIMULATED + 1);
    assert.deepEqual(await queued(central, 'sc-a'), [], 'nothing crossed the cut link');
    assert.ok(proxy.stats.refused > refusedBefore, 'the subcloud kept trying through the cut');

    proxy.restore();
    await until('sc-a back online', async () => (await show(central, 'sc-a')).availability_status === 'online', 20_000);
    await until('the queued alarms delivered', async () => (await queued(central, 'sc-a')).length === expected.length);
    assert.deepEqual(await queued(central, 'sc-a'), expected, 'in order: the clear and the update applied');
    // The clear follows the online flag within one shared batch (offline-clears.ts), not in the same instant.
    await until('280.001 cleared', async () => (await localAlarms(central, '280.001')).length === 0);
    // Some reports later, still exactly the subcloud's alarms: nothing delivered twice or lost.
    const reportsAt = Date.parse((await show(central, 'sc-a')).last_report_at);
    await until('two more reports from sc-a', async () => Date.parse((await show(central, 'sc-a')).last_report_at) > reportsAt + 1500);
    assert.deepEqual(await queued(central, 'sc-a'), await queued(site));
    assert.deepEqual(await fleetAlarms(central, 'sc-a', '200.001'), await localAlarms(site, '200.001'));
    assert.equal((await show(central, 'sc-a')).management_state, 'managed');
  });

  test('sc-b rehomed to a second system controller, live: there complete and managed, here secondary', async () => {
    const site = sc('sc-b');
    const token = enrollToken(await second.cli(home, 'subcloud', 'add', 'sc-b', '--migrate'));
    assert.equal((await show(second, 'sc-b')).deploy_status, 'rehome-pending');
    const handover = await central.ok('PATCH', '/api/v1/subclouds/sc-b', { system_controller_url: second.url, enroll_token: token });
    assert.equal(handover.deploy_status, 'pre-rehome');

    await until('adopted by the second', async () => {
      const s = await show(second, 'sc-b');
      return s.deploy_status === 'complete' && s.management_state === 'managed' && s.availability_status === 'online';
    });
    await until('let go by the first', async () => (await show(central, 'sc-b')).deploy_status === 'secondary');
    const released = await show(central, 'sc-b');
    assert.equal(released.management_state, 'unmanaged');
    assert.deepEqual(await localAlarms(central, '280.001'), [], 'a rehomed subcloud is not reported offline');
    // Its alarms came along (snapshot to the new home).
    await until('its alarms at the new home', async () => (await fleetAlarms(second, 'sc-b', '100.104')).includes('100.104 host=controller-0.filesystem=/e2e critical'));
    assert.deepEqual(await fleetAlarms(second, 'sc-b', '200.001'), ['200.001 host=controller-0 warning']);

    // The new home manages it: its users replace the old home's synced ones.
    await second.ok('POST', '/api/v1/users', { name: 'noc-ben', role: 'reader', password: 'noc-ben-pw-1' }, 201);
    await until('noc-ben synced to sc-b', async () => (await site.api('GET', '/api/v1/users/noc-ben')).status === 200);
    assert.equal((await login(site.url, 'noc-ben', 'noc-ben-pw-1')).status, 200);
    await until("the first home's user gone from sc-b", async () => (await site.api('GET', '/api/v1/users/noc-ana')).status === 404);

    // New alarms go to the new home only.
    await site.ok('POST', '/api/v1/alarms', raise('/e2e-after-rehome'), 201);
    await until('the new alarm at the new home', async () => (await fleetAlarms(second, 'sc-b', '100.104')).includes('100.104 host=controller-0.filesystem=/e2e-after-rehome major'));
    assert.equal((await fleetAlarms(central, 'sc-b', '100.104')).some((a) => a.includes('/e2e-after-rehome')), false, 'the first no longer hears from it');
    assert.equal((await site.ok('GET', '/api/v1/hosts/controller-0')).availability, 'online', "the subcloud's own agent kept reporting");

    // The rest of the fleet stayed up throughout.
    assert.equal(await online('sim-'), SIMULATED);
    assert.equal((await show(central, 'sc-a')).availability_status, 'online');
  });
});
