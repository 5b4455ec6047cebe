import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

const status = { software_version: '0.1.0', hosts: { total: 1, available: 1, degraded: 0, failed: 0, offline: 0 }, endpoints: { identity: 'aa11', platform: 'bb22' } };
const raise = (alarm_id: string, entity: string, severity: string) => ({ kind: 'raise', alarm_id, entity_instance_id: entity, severity, reason_text: `${alarm_id} on ${entity}`, mgmt_affecting: false });

describeEachBackend('subcloud protocol on the system controller', (ctx) => {
  let api: TestApi;
  let credential: string;
  let report: (body: Record<string, unknown>) => Promise<{ status: number; body: any; text: string }>;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { siteRole: 'systemcontroller' });
    const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'rural-7' });
    const wrong = await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, name: 'rural-8' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body.message, /issued for subcloud rural-7, not rural-8/);
    const enrolled = await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, name: 'rural-7' });
    assert.equal(enrolled.status, 200, enrolled.text);
    // The reply can be lost on a bad link: until the first report, asking again gives a new credential.
    const again = await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, name: 'rural-7' });
    assert.equal(again.status, 200, again.text);
    const stale = await api.request(null, 'POST', '/api/v1/dc/report', { seq: 1, status_hash: 'h0', ops: [], known_generation: 0, wait_ms: 0 }, { authorization: `Bearer ${enrolled.body.credential}` });
    assert.equal(stale.status, 401, 'the first credential was replaced');
    credential = again.body.credential;
    report = (body) => api.request(null, 'POST', '/api/v1/dc/report', { seq: 1, status_hash: 'h1', ops: [], known_generation: 0, wait_ms: 0, ...body }, { authorization: `Bearer ${credential}` });
  });
  afterEach(() => api.close());

  const subcloud = async () => (await api.request('reader', 'GET', '/api/v1/subclouds/rural-7')).body;

  test('the first report spends the enroll token', async () => {
    assert.equal((await report({})).status, 200);
    const token = (await ctx.database.db.selectFrom('subclouds').select('enroll_token_hash').where('name', '=', 'rural-7').executeTakeFirstOrThrow()).enroll_token_hash;
    assert.equal(token, null);
  });

  test('enrolling then reporting brings the subcloud online and deployed, with its status', async () => {
    assert.equal((await subcloud()).deploy_status, 'enrolling');
    const r = await report({ status });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.desired.management_state, 'unmanaged');
    const s = await subcloud();
    assert.deepEqual([s.availability_status, s.deploy_status, s.software_version], ['online', 'complete', '0.1.0']);
    assert.ok(s.last_report_at);
    const manage = await api.request('operator', 'POST', '/api/v1/subclouds/rural-7/manage', {});
    assert.equal(manage.status, 200, 'online and deployed: manage is allowed now');
  });

  test("the fleet's certificate expiry: subclouds by their soonest-expiring certificate, with their 500.200/500.210", async () => {
    assert.deepEqual((await api.request('reader', 'GET', '/api/v1/fleet/certificates')).body, { totals: { subclouds_reporting: 0, subclouds_expiring: 0, subclouds_expired: 0 }, items: [] }, 'none reported yet');
    const notAfter = api.clock.now() + 12 * 86_400_000 + 1000;
    const certificates = { soonest: { name: 'platform', type: 'platform', not_after: notAfter } };
    const expiring = raise('500.200', 'system.certificate.mode=platform.uuid=0190', 'major');
    assert.equal((await report({ status: { ...status, certificates }, snapshot: { up_to_seq: 1, alarms: [expiring] } })).status, 200);
    const fleet = (await api.request('reader', 'GET', '/api/v1/fleet/certificates?limit=5')).body;
    assert.deepEqual(fleet.totals, { subclouds_reporting: 1, subclouds_expiring: 1, subclouds_expired: 0 });
    assert.deepEqual(fleet.items, [
      { name: 'rural-7', availability_status: 'online', soonest: { name: 'platform', type: 'platform', expiry_date: new Date(notAfter).toISOString(), residual_days: 12 }, expiring: 1, expired: 0 },
    ]);
    const bad = await api.request('reader', 'GET', '/api/v1/fleet/certificates?limit=0');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /limit/);
  });

  test('alarm deltas apply exactly once; counts and the fleet summary follow', async () => {
    const ops = [
      { seq: 1, op: raise('100.104', 'host=controller-0.filesystem=/var', 'critical') },
      { seq: 2, op: raise('100.101', 'host=controller-0', 'major') },
      { seq: 3, op: raise('100.103', 'host=controller-0', 'major') },
      { seq: 4, op: { kind: 'clear', alarm_id: '100.103', entity_instance_id: 'host=controller-0' } },
    ];
    const before = await report({ status, ops });
    assert.deepEqual([before.body.need_snapshot, before.body.ack_op_seq], [true, 0], 'deltas wait for a snapshot: the base is unknown');
    assert.deepEqual((await subcloud()).alarm_counts, { critical: 0, major: 0, minor: 0, warning: 0 });
    const after = await report({ seq: 2, ops, snapshot: { up_to_seq: 0, alarms: [] } });
    assert.deepEqual([after.body.need_snapshot, after.body.ack_op_seq], [undefined, 4]);
    assert.equal((await report({ seq: 2, ops })).body.ack_op_seq, 4, 'a resend is acknowledged, not applied again');
    assert.deepEqual((await subcloud()).alarm_counts, { critical: 1, major: 1, minor: 0, warning: 0 });
    await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'quiet-1' });
    const summary = (await api.request('reader', 'GET', '/api/v1/fleet/alarm-summary')).body;
    assert.deepEqual(summary.totals, { critical: 1, major: 1, minor: 0, warning: 0 });
    assert.deepEqual(summary.cloud_status, { critical: 1, degraded: 0, OK: 1 });
    assert.deepEqual(summary.items.map((i: { name: string; cloud_status: string }) => `${i.name}:${i.cloud_status}`), ['rural-7:critical', 'quiet-1:OK']);
    await report({ seq: 4, ops: [{ seq: 5, op: { kind: 'clear', alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var' } }] });
    assert.equal((await api.request('reader', 'GET', '/api/v1/fleet/alarm-summary')).body.items[0].cloud_status, 'degraded');
  });

  test('a subcloud that was offline comes back online and its 280.001 clears', async () => {
    await report({ status });
    await ctx.database.db.updateTable('subclouds').set({ availability_status: 'offline' }).execute();
    await api.fault.batch({ raise: [{ alarm_id: '280.001', entity_instance_id: 'subcloud=rural-7', severity: 'critical', reason_text: 'rural-7 is offline' }] });
    await report({ seq: 2, known_generation: 1 });
    assert.equal((await subcloud()).availability_status, 'online');
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=280.001')).body.items.length, 0);
  });

  test('the audit clears a 280.001 left on an online subcloud (a controller stopped between the return and its clear), and keeps those of offline ones', async () => {
    await report({ status });
    await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'dark-1' });
    await ctx.database.db.updateTable('subclouds').set({ availability_status: 'offline' }).where('name', '=', 'dark-1').execute();
    await api.fault.batch({
      raise: ['rural-7', 'dark-1'].map((n) => ({ alarm_id: '280.001', entity_instance_id: `subcloud=${n}`, severity: 'critical', reason_text: `${n} is offline` })),
    });
    assert.equal(await api.subcloudAudit.reconcile(), 1);
    const left = (await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=280.001')).body.items;
    assert.deepEqual(left.map((a: { entity_instance_id: string }) => a.entity_instance_id), ['subcloud=dark-1']);
    assert.equal(await api.subcloudAudit.reconcile(), 0);
  });

  test('the long poll returns when the subcloud is reconfigured', async () => {
    const first = await report({ status, snapshot: { up_to_seq: 0, alarms: [] } });
    const started = Date.now();
    const held = report({ seq: 2, known_generation: first.body.generation, known_sync: first.body.desired.sync, wait_ms: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await api.request('admin', 'PATCH', '/api/v1/subclouds/rural-7', { system_controller_url: 'https://sc-b.example:6385' });
    const r = await held;
    assert.ok(Date.now() - started < 2000);
    assert.equal(r.body.desired.system_controller_url, 'https://sc-b.example:6385');
  });

  test('failures carry their cause: offline, and content the subcloud could not apply; both clear when resolved', async () => {
    await report({ status, snapshot: { up_to_seq: 0, alarms: [] } });
    api.clock.advance(60_000);
    assert.deepEqual(await api.subcloudAudit.tick(), ['rural-7']);
    let errors = (await api.request('reader', 'GET', '/api/v1/subclouds/rural-7/errors')).body;
    assert.equal(errors.items[0].cause, 'offline');
    assert.match(errors.items[0].evidence, /s without a report/);
    await report({ seq: 2, status_hash: 'h2', status: { ...status, sync_errors: { identity: 'disk is read-only' } } });
    errors = (await api.request('reader', 'GET', '/api/v1/subclouds/rural-7/errors')).body;
    assert.deepEqual(errors.items.map((e: { cause: string }) => e.cause), ['sync_failed:identity'], 'offline cleared by the report; the sync failure recorded');
    assert.equal(errors.items[0].evidence, 'disk is read-only');
    const fleet = (await api.request('reader', 'GET', '/api/v1/fleet/errors')).body;
    assert.equal(fleet.items[0].cause, 'sync_failed:identity');
    await report({ seq: 3, status_hash: 'h3', status });
    assert.equal((await subcloud()).error_description, 'No errors present');
  });

  test('a managed subcloud that stays out of sync raises 280.002 per endpoint; it clears once in sync', async () => {
    const first = await report({ status, snapshot: { up_to_seq: 0, alarms: [] } });
    const hashes = first.body.desired.endpoints as Record<string, { hash: string; content?: unknown }>;
    assert.equal(hashes.identity!.content, undefined, 'unmanaged: hashes only, no content');
    assert.equal((await api.request('operator', 'POST', '/api/v1/subclouds/rural-7/manage', {})).status, 200);
    const managed = await report({ seq: 2, status_hash: 'h2', status, known_generation: first.body.generation, known_sync: first.body.desired.sync });
    assert.ok((managed.body.desired.endpoints.identity.content as { users: unknown[] }).users.length >= 3, 'managed and out of sync: the users come with it');
    const sync = () => api.request('reader', 'GET', '/api/v1/subclouds/rural-7').then((r) => Object.fromEntries(r.body.endpoint_sync_status.map((e: { endpoint_type: string; sync_status: string }) => [e.endpoint_type, e.sync_status])));
    assert.deepEqual(await sync(), { platform: 'out-of-sync', identity: 'out-of-sync', software: 'unknown' });
    assert.deepEqual(await api.syncAudit.tick(), { raised: 0, cleared: 0 }, 'within the grace: converging, no alarm');
    api.clock.advance(30_000);
    await report({ seq: 3, status_hash: 'h2' });
    assert.deepEqual(await api.syncAudit.tick(), { raised: 2, cleared: 0 });
    const alarms = (await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=280.002')).body.items.map((a: { entity_instance_id: string }) => a.entity_instance_id).sort();
    assert.deepEqual(alarms, ['subcloud=rural-7.resource=identity', 'subcloud=rural-7.resource=platform']);
    const inSync = { ...status, endpoints: { identity: hashes.identity!.hash, platform: hashes.platform!.hash, software: hashes.software!.hash } };
    await report({ seq: 4, status_hash: 'h3', status: inSync });
    assert.deepEqual(await sync(), { platform: 'in-sync', identity: 'in-sync', software: 'in-sync' });
    assert.deepEqual(await api.syncAudit.tick(), { raised: 0, cleared: 2 });
    // A central change puts every subcloud out of sync at once, without waking an alarm storm.
    assert.equal((await api.request('admin', 'PATCH', '/api/v1/system/platform', { ntp_servers: ['10.0.0.123'] })).status, 200);
    assert.equal((await sync()).platform, 'out-of-sync');
    assert.deepEqual(await api.syncAudit.tick(), { raised: 0, cleared: 0 });
  });

  test('platform settings refuse bad input naming the field, and keep nothing of it', async () => {
    const good = { dns_servers: ['10.0.0.53', '2001:db8::53'], ntp_servers: ['ntp1.example.net', '10.0.0.123', 'fd00::123'] };
    const set = await api.request('admin', 'PATCH', '/api/v1/system/platform', good);
    assert.equal(set.status, 200, set.text);
    const kept = (await api.request('reader', 'GET', '/api/v1/system/platform')).body;
    assert.deepEqual(kept, { ...good, ca_bundle: '' });
    // rural-7 holds exactly these settings: in sync, until something is written.
    const desired = await api.sync.desired();
    const hashes = Object.fromEntries(Object.entries(desired.endpoints).map(([type, e]) => [type, e.hash]));
    assert.equal((await report({ status: { ...status, endpoints: hashes } })).status, 200);
    const platformSync = async () => (await subcloud()).endpoint_sync_status.find((e: { endpoint_type: string }) => e.endpoint_type === 'platform').sync_status;
    assert.equal(await platformSync(), 'in-sync');

    const refused: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ dns_servers: ['10.0.0.53', 'not a host!'] }, 'dns_servers[1]', /^dns_servers\[1\]: "not a host!" is not an IP address$/],
      [{ dns_servers: ['10.0.0.53', '8.8.8'] }, 'dns_servers[1]', /^dns_servers\[1\]: "8\.8\.8" is not an IP address$/],
      [{ dns_servers: ['dns.example.net'] }, 'dns_servers[0]', /"dns\.example\.net" is not an IP address$/],
      [{ dns_servers: ['10.0.0.53', '10.0.0.54', '10.0.0.53'] }, 'dns_servers[2]', /^dns_servers\[2\]: "10\.0\.0\.53" is already listed as dns_servers\[0\]$/],
      [{ dns_servers: ['2001:db8::53', '2001:DB8:0::53'] }, 'dns_servers[1]', /is already listed as dns_servers\[0\]/],
      [{ dns_servers: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'] }, 'dns_servers', /^dns_servers: must NOT have more than 3 items$/],
      [{ ntp_servers: ['-ntp.example.net'] }, 'ntp_servers[0]', /^ntp_servers\[0\]: "-ntp\.example\.net" is not an IP address or a host name$/],
      [{ ntp_servers: ['ntp-.example.net'] }, 'ntp_servers[0]', /is not an IP address or a host name/],
      [{ ntp_servers: ['ntp_1.example.net'] }, 'ntp_servers[0]', /is not an IP address or a host name/],
      [{ ntp_servers: ['ntp..example.net'] }, 'ntp_servers[0]', /is not an IP address or a host name/],
      [{ ntp_servers: [`${'a'.repeat(64)}.example.net`] }, 'ntp_servers[0]', /is not an IP address or a host name/],
      [{ ntp_servers: [Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.')] }, 'ntp_servers[0]', /^ntp_servers\[0\]: must NOT have more than 253 characters$/],
      [{ ntp_servers: ['10.0.0'] }, 'ntp_servers[0]', /"10\.0\.0" is not an IP address or a host name/],
      [{ ntp_servers: [''] }, 'ntp_servers[0]', /is not an IP address or a host name/],
      [{ ntp_servers: ['pool.ntp.org', 'POOL.ntp.org'] }, 'ntp_servers[1]', /is already listed as ntp_servers\[0\]/],
      [{ ntp_servers: ['a.example', 'b.example', 'c.example', 'd.example'] }, 'ntp_servers', /^ntp_servers: must NOT have more than 3 items$/],
      // One bad field refuses the whole change: the good one is not written either.
      [{ dns_servers: ['10.0.0.99'], ntp_servers: ['10.0.0.123', 'bad host'] }, 'ntp_servers[1]', /^ntp_servers\[1\]: "bad host" is not an IP address or a host name$/],
    ];
    for (const [body, field, message] of refused) {
      const bad = await api.request('admin', 'PATCH', '/api/v1/system/platform', body);
      assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, 'invalid_input', field], `${JSON.stringify(body)}: ${bad.text}`);
      assert.match(bad.body.message, message);
    }
    const pem = await api.request('admin', 'PATCH', '/api/v1/system/platform', { ca_bundle: 'hello' });
    assert.deepEqual([pem.status, pem.body.field], [400, 'ca_bundle']);
    assert.deepEqual((await api.request('reader', 'GET', '/api/v1/system/platform')).body, kept, 'nothing of the refused changes was written');
    assert.equal((await api.sync.desired()).token, desired.token, 'nor synced');
    assert.equal(await platformSync(), 'in-sync');
    assert.equal((await api.request('operator', 'PATCH', '/api/v1/system/platform', { ntp_servers: [] })).status, 403);
  });

  test('credentials stay in their lane', async () => {
    assert.equal((await api.request(null, 'GET', '/api/v1/alarms', undefined, { authorization: `Bearer ${credential}` })).status, 403);
    assert.equal((await api.request('admin', 'POST', '/api/v1/dc/report', { seq: 1, status_hash: 'x', ops: [], known_generation: 0, wait_ms: 0 })).status, 403);
  });
});
