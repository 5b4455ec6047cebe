/**
 * A real subcloud (its own controller on its own SQLite database, in this
 * process) reporting over real HTTP to a system controller on each backend:
 * enrollment, alarm snapshot and deltas, identity and platform sync for
 * managed subclouds only, queued alarms across a cut link, and rehoming.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { loadServerConfig } from '../../src/core/server-config.js';
import { silentLogger } from '../../src/core/logging.js';
import { startController, type RunningController } from '../../src/server/start.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../helpers/backends.js';
import { Link } from '../helpers/link.js';
import { tlsFetch } from '../../src/pki/tls-fetch.js';

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** fetch trusting the subcloud's CA (its API serves HTTPS under the ICA its system controller issued). */
let subcloudFetch: typeof fetch;

async function login(url: string, username: string, password: string): Promise<number> {
  const res = await subcloudFetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return res.status;
}

describeEachBackend('subcloud uplink to a system controller', (ctx) => {
  let central: TestApi;
  let centralUrl: string;
  let link: Link;
  let subcloud: RunningController;
  let dir: string;

  const show = async (name = 'edge-1') => (await central.request('reader', 'GET', `/api/v1/subclouds/${name}`)).body;

  beforeEach(async () => {
    central = await createTestApi(ctx.database, { reportIntervalMs: 1000, https: true });
    centralUrl = await central.app.listen({ port: 0, host: '127.0.0.1' });
    link = new Link('127.0.0.1', Number(new URL(centralUrl).port), 'https');
    await link.up();
    const added = await central.request('admin', 'POST', '/api/v1/subclouds', { name: 'edge-1', location: 'km 212' });
    dir = mkdtempSync(join(tmpdir(), 'starling-subcloud-'));
    const config = loadServerConfig({
      env: {},
      flags: { port: 0, host: '127.0.0.1', dataDir: dir, adminPassword: 'local-admin-pw', role: 'subcloud', systemController: link.url, enrollToken: added.body.enroll_token },
    });
    subcloud = await startController(config, { log: silentLogger(), uplinkBackoff: { baseMs: 100, capMs: 300 } });
    subcloudFetch = tlsFetch({ ca: readFileSync(subcloud.trust!.caFile, 'utf8') });
  });
  afterEach(async () => {
    await subcloud.close();
    await link.down();
    await central.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('enrolls, comes online and sends its alarms up: snapshot, then raises and clears', async () => {
    await until('online', async () => (await show()).availability_status === 'online');
    assert.equal((await show()).deploy_status, 'complete');
    await subcloud.fault.batch({ raise: [{ alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var', severity: 'critical', reason_text: 'disk full' }] });
    await until('the raise upstream', async () => (await show()).alarm_counts.critical === 1);
    await subcloud.fault.batch({ clear: [{ alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var' }] });
    await until('the clear upstream', async () => (await show()).alarm_counts.critical === 0);
    const summary = (await central.request('reader', 'GET', '/api/v1/fleet/alarm-summary')).body;
    assert.equal(summary.items[0].cloud_status, 'OK');
  });

  test('a managed subcloud takes the central users and platform settings; an unmanaged one is left alone', async () => {
    await until('online', async () => (await show()).availability_status === 'online');
    assert.equal((await central.request('admin', 'POST', '/api/v1/users', { name: 'noc-ana', role: 'operator', password: 'central-pw-1' })).status, 201);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await login(subcloud.url, 'noc-ana', 'central-pw-1'), 401, 'unmanaged: not synced');
    const detail = await show();
    assert.equal(detail.endpoint_sync_status.find((e: { endpoint_type: string }) => e.endpoint_type === 'identity').sync_status, 'out-of-sync');

    assert.equal((await central.request('operator', 'POST', '/api/v1/subclouds/edge-1/manage', {})).status, 200);
    await until('central user can log into the subcloud', async () => (await login(subcloud.url, 'noc-ana', 'central-pw-1')) === 200);
    const platform = { dns_servers: ['10.0.0.53'], ntp_servers: ['ntp1.example.net', '10.0.0.123'] };
    assert.equal((await central.request('admin', 'PATCH', '/api/v1/system/platform', platform)).status, 200);
    const session = (await (await subcloudFetch(`${subcloud.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'noc-ana', password: 'central-pw-1' }) })).json()) as { token: string };
    await until('platform settings on the subcloud', async () => {
      const res = await subcloudFetch(`${subcloud.url}/api/v1/system/platform`, { headers: { authorization: `Bearer ${session.token}` } });
      const body = (await res.json()) as { ntp_servers: string[] };
      return body.ntp_servers.join() === platform.ntp_servers.join();
    });
    await until('all endpoints in-sync', async () => (await show()).endpoint_sync_status.every((e: { sync_status: string }) => e.sync_status === 'in-sync'));

    assert.equal((await central.request('admin', 'DELETE', '/api/v1/users/noc-ana')).status, 204);
    await until('deleted centrally → gone on the subcloud', async () => (await login(subcloud.url, 'noc-ana', 'central-pw-1')) === 401);
    assert.equal(await login(subcloud.url, 'admin', 'local-admin-pw'), 401, "the subcloud's admin now has the central admin's password");
  });

  test('alarms raised while the link is cut are delivered once when it returns; 280.001 comes and goes', async () => {
    await until('online', async () => (await show()).availability_status === 'online');
    await link.down();
    for (let i = 0; i < 5; i++) {
      await subcloud.fault.batch({ raise: [{ alarm_id: '100.101', entity_instance_id: `host=worker-${i}`, severity: 'major', reason_text: 'cpu' }] });
    }
    await subcloud.fault.batch({ clear: [{ alarm_id: '100.101', entity_instance_id: 'host=worker-0' }] });
    // Reports that reached the system controller before the cut finish first.
    await new Promise((r) => setTimeout(r, 300));
    // The audit with the system controller's clock two windows on.
    central.clock.advance(60_000);
    assert.deepEqual(await central.subcloudAudit.tick(), ['edge-1']);
    assert.equal((await central.request('reader', 'GET', '/api/v1/alarms?alarm_id=280.001')).body.items.length, 1);
    await link.up();
    await until('back online', async () => (await show()).availability_status === 'online');
    await until('queued alarms delivered', async () => (await show()).alarm_counts.major === 4);
    const copy = await ctx.database.db.selectFrom('subcloud_alarms').select('entity_instance_id').orderBy('entity_instance_id').execute();
    assert.deepEqual(copy.map((c) => c.entity_instance_id), ['host=worker-1', 'host=worker-2', 'host=worker-3', 'host=worker-4']);
    // The clear is batched with other returns and written just after the report that brought it back.
    await until('280.001 cleared', async () => (await central.request('reader', 'GET', '/api/v1/alarms?alarm_id=280.001')).body.items.length === 0);
  });

  test('rehome: a second system controller adopts the subcloud live with its alarms; the first lets it go', async () => {
    await until('online', async () => (await show()).availability_status === 'online');
    await subcloud.fault.batch({ raise: [{ alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var', severity: 'critical', reason_text: 'disk full' }] });
    await until('alarm upstream', async () => (await show()).alarm_counts.critical === 1);
    let second: TestApi | undefined;
    let secondDb: TestDatabase | undefined;
    try {
      secondDb = await createTestDatabase('sqlite');
      second = await createTestApi(secondDb, { reportIntervalMs: 1000, https: true });
      const secondUrl = await second.app.listen({ port: 0, host: '127.0.0.1' });
      const adopted = await second.request('admin', 'POST', '/api/v1/subclouds', { name: 'edge-1', migrate: true });
      assert.equal(adopted.body.subcloud.deploy_status, 'rehome-pending');
      const handover = await central.request('admin', 'PATCH', '/api/v1/subclouds/edge-1', { system_controller_url: secondUrl, enroll_token: adopted.body.enroll_token });
      assert.equal(handover.status, 200, handover.text);
      assert.equal(handover.body.deploy_status, 'pre-rehome');
      const onSecond = async () => (await second!.request('reader', 'GET', '/api/v1/subclouds/edge-1')).body;
      await until('adopted by the second', async () => {
        const s = await onSecond();
        return s.deploy_status === 'complete' && s.management_state === 'managed' && s.alarm_counts.critical === 1 && s;
      });
      await until('let go by the first', async () => (await show()).deploy_status === 'secondary');
      assert.equal((await show()).management_state, 'unmanaged');
      assert.equal(subcloud.uplink!.controller, secondUrl);
      // Its alarms keep flowing to the new home.
      await subcloud.fault.batch({ clear: [{ alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var' }] });
      await until('clear on the second', async () => (await onSecond()).alarm_counts.critical === 0);
      assert.equal((await show()).alarm_counts.critical, 1, 'the first no longer hears from it');
    } finally {
      await second?.close();
      await secondDb?.dispose();
    }
  });
});
