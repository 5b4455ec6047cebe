/** Issue 14, item 15: /metrics stays open for Prometheus unless a metrics token is set. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadServerConfig } from '../../src/core/server-config.js';
import type { ConfigError } from '../../src/core/errors.js';
import { createTestApi } from '../helpers/api.js';
import { createTestDatabase } from '../helpers/backends.js';

const TOKEN = 'scrape-me-9f8e7d6c5b4a';

describe('/metrics and --metrics-token', () => {
  test('open by default', async () => {
    const database = await createTestDatabase('sqlite');
    const api = await createTestApi(database);
    try {
      const res = await api.request(null, 'GET', '/metrics');
      assert.equal(res.status, 200);
      assert.match(res.text, /starling_http_request_duration_seconds/);
    } finally {
      await api.close();
      await database.dispose();
    }
  });

  test('with a token, a scrape without it or with another is 401 in the error shape; with it, 200; the token is never logged', async () => {
    const database = await createTestDatabase('sqlite');
    const api = await createTestApi(database, { metricsToken: TOKEN });
    try {
      const none = await api.request(null, 'GET', '/metrics');
      assert.equal(none.status, 401);
      assert.equal(none.body.code, 'unauthenticated');
      assert.match(none.body.message, /metrics token/);
      assert.equal((await api.request(null, 'GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}x` })).status, 401);
      assert.equal((await api.request(null, 'GET', '/metrics', undefined, { authorization: `Bearer ${api.tokens.admin}` })).status, 401, 'a user session is not the metrics token');
      const ok = await api.request(null, 'GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /starling_http_request_duration_seconds/);
      assert.ok(!api.logLines.some((l) => l.includes(TOKEN)));
    } finally {
      await api.close();
      await database.dispose();
    }
  });

  test('a short token is refused at start, without echoing it', () => {
    assert.throws(
      () => loadServerConfig({ env: { STARLING_METRICS_TOKEN: 'short-secret' } }),
      (e: ConfigError) => e.key === 'metricsToken' && /STARLING_METRICS_TOKEN/.test(e.message) && !e.message.includes('short-secret'),
    );
    assert.equal(loadServerConfig({ env: { STARLING_METRICS_TOKEN: TOKEN } }).metricsToken, TOKEN);
  });
});
