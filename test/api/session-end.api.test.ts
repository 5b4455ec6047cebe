/**
 * Issue 14, items 6 and 7: an open event stream ends as soon as its caller
 * may no longer read it, and logout ends a session on the server (on every
 * process sharing the database), not only in the client.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createMetrics } from '../../src/api/metrics.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logging.js';
import { durations } from '../../src/core/durations.js';
import { assemble } from '../../src/server/assemble.js';
import { createTestApi, PASSWORDS, type TestApi } from '../helpers/api.js';
import { describeEachBackend } from '../helpers/backends.js';
import { readStream, type SseMessage } from '../helpers/sse.js';

/** Shorter than the periodic re-check, so only the immediate one can pass. */
const BEFORE_RECHECK_MS = durations.streamAuthRecheckMs - 1500;

describeEachBackend('event streams end when their caller may no longer read', (ctx) => {
  let api: TestApi;
  let base: string;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(() => api.close());

  /** Opens a stream, waits until it is open, runs `change`, and returns everything it received until it closed. */
  async function streamAcross(path: string, token: string, change: () => Promise<void>): Promise<SseMessage[]> {
    const opened = api.streams.size;
    const reading = readStream(`${base}${path}`, token, {}, (m) => m.some((x) => x.event === 'end'), BEFORE_RECHECK_MS);
    while (api.streams.size === opened) await new Promise((r) => setImmediate(r));
    await change();
    return reading;
  }

  const endReason = (messages: SseMessage[]) => {
    const end = messages.find((m) => m.event === 'end');
    assert.ok(end, `the stream sent event: end (got ${messages.map((m) => m.event).join(', ')})`);
    return (JSON.parse(end.data!) as { reason: string }).reason;
  };

  test('a revoked API token ends its /stream', async () => {
    const created = await api.request('reader', 'POST', '/api/v1/auth/tokens', { name: 'script' });
    assert.equal(created.status, 201);
    const messages = await streamAcross('/api/v1/stream', created.body.token, async () => {
      assert.equal((await api.request('reader', 'DELETE', `/api/v1/auth/tokens/${created.body.id}`)).status, 204);
    });
    assert.match(endReason(messages), /revoked/);
    assert.equal(api.streams.size, 0);
  });

  test("a role change ends the user's /fleet/map/stream (session and API token alike)", async () => {
    const created = await api.request('operator', 'POST', '/api/v1/auth/tokens', { name: 'script' });
    const opened = api.streams.size;
    const session = readStream(`${base}/api/v1/fleet/map/stream`, api.tokens.operator, {}, (m) => m.some((x) => x.event === 'end'), BEFORE_RECHECK_MS);
    const token = streamAcross('/api/v1/fleet/map/stream', created.body.token, async () => {
      while (api.streams.size < opened + 2) await new Promise((r) => setImmediate(r));
      assert.equal((await api.request('admin', 'PATCH', '/api/v1/users/operator', { role: 'reader' })).status, 200);
    });
    assert.match(endReason(await session), /session has ended/);
    assert.match(endReason(await token), /role changed from operator to reader/);
  });

  test("deleting the user ends the user's stream", async () => {
    const messages = await streamAcross('/api/v1/stream', api.tokens.reader, async () => {
      assert.equal((await api.request('admin', 'DELETE', '/api/v1/users/reader')).status, 204);
    });
    assert.match(endReason(messages), /session has ended/);
  });

  test('an unchanged caller keeps its stream', async () => {
    const reading = readStream(`${base}/api/v1/stream`, api.tokens.reader, {}, (m) => m.some((x) => x.event === 'end' || x.event === 'set'));
    while (api.streams.size === 0) await new Promise((r) => setImmediate(r));
    // Another user's change checks every stream; this one's caller still holds.
    assert.equal((await api.request('admin', 'PATCH', '/api/v1/users/operator', { role: 'reader' })).status, 200);
    await api.streams.settled();
    assert.equal(api.streams.size, 1);
    await api.request('admin', 'POST', '/api/v1/alarms', { alarm_id: '100.101', entity_instance_id: 'host=a', severity: 'major', reason_text: 'cpu' });
    assert.deepEqual((await reading).map((m) => m.event), ['hello', 'set']);
  });
});

describeEachBackend('logout ends the session on the server', (ctx) => {
  let api: TestApi;
  let base: string;
  beforeEach(async () => {
    api = await createTestApi(ctx.database);
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(() => api.close());

  test('the token is refused after logout, its stream ends, and other sessions of the user go on', async () => {
    const second = await api.request(null, 'POST', '/api/v1/auth/login', { username: 'operator', password: PASSWORDS.operator });
    const messages = readStream(`${base}/api/v1/stream`, api.tokens.operator, {}, (m) => m.some((x) => x.event === 'end'), BEFORE_RECHECK_MS);
    while (api.streams.size === 0) await new Promise((r) => setImmediate(r));
    const out = await api.request('operator', 'POST', '/api/v1/auth/logout');
    assert.equal(out.status, 204);
    assert.ok((await messages).some((m) => m.event === 'end'));

    const after = await api.request('operator', 'GET', '/api/v1/auth/whoami');
    assert.equal(after.status, 401);
    assert.match(after.body.message, /ended by logout/);
    const other = await api.request(null, 'GET', '/api/v1/auth/whoami', undefined, { authorization: `Bearer ${second.body.token}` });
    assert.equal(other.status, 200, 'logout ends this session, not every session of the user');

    const audit = await ctx.database.db.selectFrom('audit_log').selectAll().where('route', '=', '/api/v1/auth/logout').execute();
    assert.deepEqual(audit.map((r) => [r.user_name, r.status]), [['operator', 204]]);
  });

  test('an API token cannot log out (it is revoked instead), and says so with the field', async () => {
    const created = await api.request('reader', 'POST', '/api/v1/auth/tokens', { name: 'script' });
    const res = await api.request(null, 'POST', '/api/v1/auth/logout', undefined, { authorization: `Bearer ${created.body.token}` });
    assert.equal(res.status, 400);
    assert.equal(res.body.field, 'authorization');
    assert.match(res.body.message, /token revoke/);
  });

  test('another process on the same database refuses the ended session', async () => {
    const token = api.tokens.reader;
    const softwareDir = await mkdtemp(join(tmpdir(), 'starling-software-'));
    const otherClock = new ManualClock(Date.now());
    const other = await assemble({
      softwareDir,
      config: { bodyLimitBytes: 1024 * 1024, reportIntervalMs: 1000 },
      database: ctx.database,
      log: createLogger({ level: 'silent' }),
      clock: otherClock,
      metrics: createMetrics(),
    });
    try {
      const whoami = () => other.app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: { authorization: `Bearer ${token}` } });
      assert.equal((await whoami()).statusCode, 200, 'the session is good on the other process first');
      assert.equal((await api.request('reader', 'POST', '/api/v1/auth/logout')).status, 204);
      // The other process re-reads a session it has seen once its auth cache time has passed.
      otherClock.advance(durations.authCacheTtlMs);
      const later = await whoami();
      assert.equal(later.statusCode, 401);
      assert.match(later.body, /ended by logout/);
    } finally {
      await other.app.close();
      await rm(softwareDir, { recursive: true, force: true });
    }
  });
});
