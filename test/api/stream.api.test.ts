import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { readStream } from '../helpers/sse.js';

const raise = (host: string) => ({ alarm_id: '100.101', entity_instance_id: `host=${host}`, severity: 'major', reason_text: 'cpu' });

describeEachBackend('change stream', (ctx) => {
  let api: TestApi;
  let base: string;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(() => api.close());

  test('live changes arrive with ids; Last-Event-ID replays exactly what was missed', async () => {
    await api.request('operator', 'POST', '/api/v1/alarms', raise('before'));
    const live = readStream(`${base}/api/v1/stream`, api.tokens.reader, {}, (m) => m.filter((x) => x.event === 'set' || x.event === 'clear').length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    await api.request('operator', 'POST', '/api/v1/alarms', raise('a'));
    await api.request('operator', 'POST', '/api/v1/alarms/clear', { alarm_id: '100.101', entity_instance_id: 'host=a' });
    const messages = await live;
    assert.equal(messages[0]!.event, 'hello');
    const changes = messages.filter((m) => m.event === 'set' || m.event === 'clear');
    assert.deepEqual(changes.map((m) => m.event), ['set', 'clear']);
    assert.equal(JSON.parse(changes[0]!.data!).entity_instance_id, 'host=a');
    const firstId = Number(changes[0]!.id);

    // Missed while disconnected: two more changes.
    await api.request('operator', 'POST', '/api/v1/alarms/batch', { raise: [raise('b'), raise('c')] });
    const resumed = await readStream(`${base}/api/v1/stream`, api.tokens.reader, { 'last-event-id': String(firstId) }, (m) => m.length >= 3);
    assert.deepEqual(resumed.map((m) => m.event), ['clear', 'set', 'set']);
    assert.deepEqual(resumed.map((m) => Number(m.id)), [firstId + 1, firstId + 2, firstId + 3]);
  });

  test('a client behind the pruned horizon gets reset', async () => {
    await api.request('operator', 'POST', '/api/v1/events', { alarm_id: '401.007', entity_instance_id: 'host=c', severity: 'critical', reason_text: 'x' });
    await api.request('operator', 'POST', '/api/v1/events', { alarm_id: '401.007', entity_instance_id: 'host=c', severity: 'critical', reason_text: 'y' });
    await api.request('operator', 'POST', '/api/v1/events', { alarm_id: '401.007', entity_instance_id: 'host=c', severity: 'critical', reason_text: 'z' });
    const { pruneEvents } = await import('../../src/resources/events/event.store.js');
    await pruneEvents(ctx.database.db, 1);
    const messages = await readStream(`${base}/api/v1/stream`, api.tokens.reader, { 'last-event-id': '0' }, (m) => m.length >= 2);
    assert.equal(messages[0]!.event, 'reset');
    assert.equal(JSON.parse(messages[1]!.data!).reason_text, 'z');
  });

  test('the stream needs a token', async () => {
    const res = await fetch(`${base}/api/v1/stream`);
    assert.equal(res.status, 401);
  });
});

describeEachBackend('change stream: a client that stops reading', (ctx) => {
  test('is cut off without harming the server', async () => {
    const { createTestApi } = await import('../helpers/api.js');
    const net = await import('node:net');
    const api = await createTestApi(ctx.database);
    try {
      const base = new URL(await api.app.listen({ port: 0, host: '127.0.0.1' }));
      // About 12 MiB of backlog: past the 8 MiB the server buffers for one client.
      const reason = 'x'.repeat(250);
      for (let i = 0; i < 12; i++) {
        await api.fault.batch({ log: Array.from({ length: 4000 }, () => ({ alarm_id: '401.007', entity_instance_id: 'host=c', severity: 'critical', reason_text: reason })) });
      }
      const socket = net.connect(Number(base.port), '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.pause(); // a reader that never reads
      socket.write(`GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.reader}\r\nLast-Event-ID: 0\r\n\r\n`);
      await new Promise((r) => setTimeout(r, 1500));
      // New events while the slow client is cut off must not crash the server.
      await api.fault.batch({ log: [{ alarm_id: '401.007', entity_instance_id: 'host=c', severity: 'critical', reason_text: 'after' }] });
      const health = await fetch(`${base.origin}/healthz`);
      assert.equal(health.status, 200, 'the server is still up');
      socket.destroy();
    } finally {
      await api.close();
    }
  });
});
