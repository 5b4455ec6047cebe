import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { AvailabilityAudit } from '../../src/resources/subclouds/availability.audit.js';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

describeEachBackend('subcloud availability audit', (ctx) => {
  let api: TestApi;
  let report: (seq: number) => Promise<unknown>;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { siteRole: 'systemcontroller' });
    const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'hill-3' });
    await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'never-enrolled' });
    const { credential } = (await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, name: 'hill-3' })).body;
    report = (seq) => api.request(null, 'POST', '/api/v1/dc/report', { seq, status_hash: 'h', ops: [], known_generation: 0, wait_ms: 0 }, { authorization: `Bearer ${credential}` });
    await report(1);
  });
  afterEach(() => api.close());

  const show = async () => (await api.request('reader', 'GET', '/api/v1/subclouds/hill-3')).body;
  const offlineAlarms = async () => (await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=280.001')).body.items as Array<{ entity_instance_id: string; severity: string }>;

  test('offline only after two missed windows, with 280.001; a report brings it back and clears it', async () => {
    api.clock.advance(39_000);
    assert.deepEqual(await api.subcloudAudit.tick(), [], 'one lost report is not offline');
    api.clock.advance(2_000);
    assert.deepEqual(await api.subcloudAudit.tick(), ['hill-3']);
    const s = await show();
    assert.equal(s.availability_status, 'offline');
    assert.deepEqual((await offlineAlarms()).map((a) => `${a.entity_instance_id} ${a.severity}`), ['subcloud=hill-3 critical']);
    assert.deepEqual(await api.subcloudAudit.tick(), [], 'already offline: nothing more');
    await report(2);
    assert.equal((await show()).availability_status, 'online');
    assert.deepEqual(await offlineAlarms(), []);
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds/never-enrolled')).body.availability_status, 'offline', 'untouched: it never reported');
  });

  test('after a controller restart every subcloud gets the full allowance first', async () => {
    api.clock.advance(120_000); // the system controller was down for two minutes
    const restarted = new AvailabilityAudit({ db: ctx.database.db, clock: api.clock, fault: api.fault, windowMs: 20_000, failures: 2, startedAt: api.clock.now() });
    assert.deepEqual(await restarted.tick(), []);
    api.clock.advance(39_000);
    assert.deepEqual(await restarted.tick(), []);
    api.clock.advance(2_000);
    assert.deepEqual(await restarted.tick(), ['hill-3'], 'then the normal rule applies');
  });
});
