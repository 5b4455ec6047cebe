import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

const raise = (host: string, severity = 'major') => ({
  alarm_id: '100.104',
  entity_instance_id: `host=${host}.filesystem=/var`,
  severity,
  reason_text: 'Filesystem /var threshold exceeded; threshold 80%, actual 84%',
});

describeEachBackend('alarms API', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
  });
  afterEach(() => api.close());

  test('raise, list, show, summary, clear', async () => {
    const created = await api.request('operator', 'POST', '/api/v1/alarms', raise('controller-0'));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.mgmt_affecting, false, '100.104 is mgmt-affecting only at critical');
    const again = await api.request('operator', 'POST', '/api/v1/alarms', raise('controller-0', 'critical'));
    assert.equal(again.status, 200);
    assert.equal(again.body.uuid, created.body.uuid);
    assert.equal(again.body.mgmt_affecting, true);

    const list = await api.request('reader', 'GET', '/api/v1/alarms?limit=10');
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.next_cursor, null);

    const show = await api.request('reader', 'GET', `/api/v1/alarms/${created.body.uuid}`);
    assert.equal(show.body.entity_instance_id, 'host=controller-0.filesystem=/var');

    const summary = await api.request('reader', 'GET', '/api/v1/alarms/summary');
    assert.deepEqual(summary.body, { critical: 1, major: 0, minor: 0, warning: 0, suppressed: 0 });

    const cleared = await api.request('operator', 'POST', '/api/v1/alarms/clear', { alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var' });
    assert.equal(cleared.status, 204);
    const missing = await api.request('operator', 'POST', '/api/v1/alarms/clear', { alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'not_found');

    const events = await api.request('reader', 'GET', '/api/v1/events?type=alarms');
    assert.deepEqual(events.body.items.map((e: { alarm_state: string }) => e.alarm_state), ['clear', 'set', 'set']);
  });

  test('list filters and the cache follow changes', async () => {
    await api.request('operator', 'POST', '/api/v1/alarms/batch', { raise: [raise('a'), raise('b', 'critical'), raise('c')] });
    const first = await api.request('reader', 'GET', '/api/v1/alarms?severity=critical');
    assert.equal(first.body.items.length, 1);
    const etag = first.headers.etag as string;
    const notModified = await api.request('reader', 'GET', '/api/v1/alarms?severity=critical', undefined, { 'if-none-match': etag });
    assert.equal(notModified.status, 304);
    await api.request('operator', 'POST', '/api/v1/alarms', raise('d', 'critical'));
    const second = await api.request('reader', 'GET', '/api/v1/alarms?severity=critical', undefined, { 'if-none-match': etag });
    assert.equal(second.status, 200, 'a change invalidates the ETag');
    assert.equal(second.body.items.length, 2, 'and the cached page');
    const byEntity = await api.request('reader', 'GET', `/api/v1/alarms?entity=${encodeURIComponent('host=a.')}`);
    assert.equal(byEntity.body.items.length, 1);
    const mgmt = await api.request('reader', 'GET', '/api/v1/alarms?mgmt_affecting=true');
    assert.equal(mgmt.body.items.length, 2);
  });

  test('delete by uuid is for admins', async () => {
    const created = await api.request('operator', 'POST', '/api/v1/alarms', raise('a'));
    const denied = await api.request('operator', 'DELETE', `/api/v1/alarms/${created.body.uuid}`);
    assert.equal(denied.status, 403);
    const done = await api.request('admin', 'DELETE', `/api/v1/alarms/${created.body.uuid}`);
    assert.equal(done.status, 204);
    assert.equal((await api.request('admin', 'DELETE', `/api/v1/alarms/${created.body.uuid}`)).status, 404);
  });

  test('suppression through the API', async () => {
    await api.request('operator', 'POST', '/api/v1/alarms', raise('a'));
    const r = await api.request('operator', 'PATCH', '/api/v1/suppressions', { alarm_ids: ['100.104'], suppression_status: 'suppressed' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.items.find((s: { alarm_id: string }) => s.alarm_id === '100.104').suppression_status, 'suppressed');
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms')).body.items.length, 0);
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms?include_suppressed=true')).body.items.length, 1);
    const bad = await api.request('operator', 'PATCH', '/api/v1/suppressions', { alarm_ids: ['100.104', '200.001'], suppression_status: 'unsuppressed' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'alarm_ids[1]');
    const all = await api.request('operator', 'PATCH', '/api/v1/suppressions', { alarm_ids: 'all', suppression_status: 'unsuppressed' });
    assert.equal(all.status, 200);
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms')).body.items.length, 1);
  });

  test('definitions and customer logs', async () => {
    const defs = await api.request('reader', 'GET', '/api/v1/alarm-definitions');
    assert.ok(defs.body.items.length > 100);
    const one = await api.request('reader', 'GET', '/api/v1/alarm-definitions/280.001');
    assert.equal(one.body.severities[0], 'critical');
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarm-definitions/999.999')).status, 404);
    const logged = await api.request('operator', 'POST', '/api/v1/events', { alarm_id: '401.007', entity_instance_id: 'host=controller-1', severity: 'critical', reason_text: 'Swact to controller-1' });
    assert.equal(logged.status, 201, logged.text);
    const shown = await api.request('reader', 'GET', `/api/v1/events/${logged.body.uuid}`);
    assert.equal(shown.body.alarm_state, 'log');
    assert.equal((await api.request('reader', 'GET', '/api/v1/events?type=logs')).body.items.length, 1);
  });
});
