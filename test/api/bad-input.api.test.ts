import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';

const good = { alarm_id: '100.101', entity_instance_id: 'host=controller-0', severity: 'major', reason_text: 'cpu' };

describeEachBackend('bad input', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
  });
  afterEach(() => api.close());

  const nothingWritten = async () => {
    const alarms = await api.request('admin', 'GET', '/api/v1/alarms?include_suppressed=true');
    assert.equal(alarms.body.items.length, 0, 'no alarm was written');
    const events = await api.request('admin', 'GET', '/api/v1/events?include_suppressed=true');
    assert.equal(events.body.items.length, 0, 'no event was written');
  };

  const expect400 = async (body: unknown, field: string, reason: RegExp, url = '/api/v1/alarms', headers: Record<string, string> = {}) => {
    const res = await api.request('operator', 'POST', url, body, { 'content-type': 'application/json', ...headers });
    assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${res.status} ${res.text}`);
    assert.equal(res.body.code, 'invalid_input');
    assert.equal(res.body.field, field, res.text);
    assert.match(res.body.message, reason);
    assert.ok(res.body.message.startsWith(field), 'the message starts with the field');
  };

  test('malformed JSON', async () => {
    await expect400('{"alarm_id": "100.101",', 'body', /not valid JSON/);
    await expect400('', 'body', /empty/);
    await nothingWritten();
  });

  test('unknown fields, wrong types, missing fields', async () => {
    await expect400({ ...good, colour: 'red' }, 'colour', /not a known field/);
    await expect400({ ...good, severity: 3 }, 'severity', /must be string|one of/);
    await expect400({ ...good, reason_text: 42 }, 'reason_text', /must be string/);
    await expect400({ alarm_id: '100.101', severity: 'major', reason_text: 'x' }, 'entity_instance_id', /is required/);
    await expect400({ ...good, severity: 'catastrophic' }, 'severity', /one of: critical, major, minor, warning/);
    await expect400({ ...good, alarm_id: '100.101; DROP TABLE alarms' }, 'alarm_id', /must match/);
    await expect400({ raise: [good, { ...good, entity_instance_id: 7 }] }, 'raise[1].entity_instance_id', /must be string/, '/api/v1/alarms/batch');
    await nothingWritten();
  });

  test('over-long strings and control characters', async () => {
    await expect400({ ...good, reason_text: 'x'.repeat(256) }, 'reason_text', /NOT have more than 255/);
    await expect400({ ...good, entity_instance_id: 'h'.repeat(300) }, 'entity_instance_id', /NOT have more than 255/);
    await expect400({ ...good, reason_text: 'nul\u0000byte' }, 'reason_text', /control characters/);
    await nothingWritten();
  });

  test('unknown alarm IDs and disallowed severities', async () => {
    await expect400({ ...good, alarm_id: '123.456' }, 'alarm_id', /unknown alarm ID 123\.456/);
    await expect400({ ...good, severity: 'warning' }, 'severity', /allowed: critical, major/);
    await expect400({ raise: [good, { ...good, entity_instance_id: 'host=x', alarm_id: '999.001' }] }, 'raise[1].alarm_id', /unknown alarm ID/, '/api/v1/alarms/batch');
    await nothingWritten();
  });

  test('oversized bodies are 413 and write nothing', async () => {
    const raise = Array.from({ length: 4000 }, (_, i) => ({ ...good, entity_instance_id: `host=worker-${i}`, reason_text: 'r'.repeat(200) }));
    const res = await api.request('operator', 'POST', '/api/v1/alarms/batch', { raise });
    assert.equal(res.status, 413);
    assert.equal(res.body.code, 'payload_too_large');
    assert.equal(res.body.field, 'body');
    await nothingWritten();
  });

  test('a batch over the item limit is refused', async () => {
    const clear = Array.from({ length: 5001 }, (_, i) => ({ alarm_id: '100.101', entity_instance_id: `h${i}` }));
    const res = await api.request('operator', 'POST', '/api/v1/alarms/batch', { clear });
    assert.equal(res.status, 400);
    assert.equal(res.body.field, 'clear');
    assert.match(res.body.message, /NOT have more than 5000 items/);
  });

  test('non-JSON content types are 415', async () => {
    const res = await api.request('operator', 'POST', '/api/v1/alarms', 'alarm_id=100.101', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(res.status, 415);
    assert.equal(res.body.code, 'unsupported_media_type');
  });

  test('injection attempts in filters are inert or refused with the field named', async () => {
    await api.request('operator', 'POST', '/api/v1/alarms', good);
    const injections = ["host=controller-0' OR '1'='1", 'host=%', "'; DELETE FROM alarms; --", 'host=controller-0\\', 'host=_'];
    for (const entity of injections) {
      const res = await api.request('reader', 'GET', `/api/v1/alarms?entity=${encodeURIComponent(entity)}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.items.length, 0, `${entity} matched nothing`);
    }
    const badId = await api.request('reader', 'GET', `/api/v1/alarms?alarm_id=${encodeURIComponent("100.101' OR 1=1 --")}`);
    assert.equal(badId.status, 400);
    assert.equal(badId.body.field, 'alarm_id');
    const badSeverity = await api.request('reader', 'GET', `/api/v1/alarms?severity=${encodeURIComponent('major) OR (1=1')}`);
    assert.equal(badSeverity.status, 400);
    assert.equal(badSeverity.body.field, 'severity');
    const unknownParam = await api.request('reader', 'GET', '/api/v1/alarms?sort=uuid;drop');
    assert.equal(unknownParam.status, 400);
    assert.equal(unknownParam.body.field, 'sort');
    const badLimit = await api.request('reader', 'GET', '/api/v1/alarms?limit=100000');
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body.field, 'limit');
    const badCursor = await api.request('reader', 'GET', '/api/v1/alarms?cursor=eyJhIjoxfQ');
    assert.equal(badCursor.status, 400);
    assert.equal(badCursor.body.field, 'cursor');
    const badUuid = await api.request('reader', 'GET', "/api/v1/alarms/1' OR '1'='1");
    assert.equal(badUuid.status, 400);
    assert.equal(badUuid.body.field, 'uuid');
    assert.equal((await api.request('reader', 'GET', '/api/v1/alarms')).body.items.length, 1, 'the table is intact');
  });

  test('prototype pollution payloads are refused', async () => {
    const res = await api.request('operator', 'POST', '/api/v1/alarms', '{"__proto__": {"admin": true}, "alarm_id": "100.101"}', { 'content-type': 'application/json' });
    assert.equal(res.status, 400);
    await nothingWritten();
  });

  test('unexpected errors are a bare 500 with no internals', async () => {
    await ctx.database.close();
    const res = await api.request('reader', 'GET', '/api/v1/alarms/summary');
    assert.equal(res.status, 500);
    assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message']);
    assert.ok(!/sql|select|stack|at /i.test(res.body.message));
  });
});
