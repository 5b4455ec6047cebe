import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadServerConfig } from '../../src/core/server-config.js';
import { silentLogger } from '../../src/core/logging.js';
import { eventBounds } from '../../src/resources/events/event.store.js';
import { startController } from '../../src/server/start.js';
import { tlsFetch } from '../../src/pki/tls-fetch.js';

describe('controller start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'starling-start-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadServerConfig({ env: {}, flags: { port: 0, host: '127.0.0.1', dataDir: dir, eventRetention: 100, adminPassword: 'start-test-pw' } });

  test('creates the admin once, and prunes the event log to its retention at start', async () => {
    const first = await startController(config, { log: silentLogger() });
    assert.equal(first.adminCreated, true);
    assert.equal(first.generatedAdminPassword, undefined, 'the configured password is used, not generated');
    const log = { alarm_id: '401.007', entity_instance_id: 'host=controller-0', severity: 'critical', reason_text: 'swact' };
    await first.fault.batch({ log: Array.from({ length: 150 }, () => log) });
    await first.close();

    const second = await startController(config, { log: silentLogger() });
    assert.equal(second.adminCreated, false);
    const { first: lo, last: hi } = await eventBounds(second.database.db);
    assert.equal(hi! - lo! + 1, 100, 'pruned to the newest 100');
    assert.ok(second.trust, 'it serves HTTPS');
    assert.match(second.url, /^https:/);
    const res = await tlsFetch({ ca: readFileSync(second.trust.caFile, 'utf8') })(`${second.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'start-test-pw' }),
    });
    assert.equal(res.status, 200);
    await second.close();
  });

  test('an unreachable PostgreSQL fails start-up with a clear error and no password in it', async () => {
    const bad = loadServerConfig({ env: {}, flags: { port: 0, dataDir: dir, databaseUrl: 'postgres://starling:s3cret-pw@127.0.0.1:1/none' } });
    await assert.rejects(startController(bad, { log: silentLogger() }), (err: Error) => /postgres:\/\/starling:\*\*\*@127\.0\.0\.1:1\/none: cannot migrate: .*ECONNREFUSED/.test(err.message) && !err.message.includes('s3cret-pw'));
  });
});
