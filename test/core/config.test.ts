import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadServerConfig } from '../../src/core/server-config.js';
import type { ConfigError } from '../../src/core/errors.js';

describe('server config', () => {
  test('defaults, frozen', () => {
    const c = loadServerConfig({ env: { HOME: '/home/op' } });
    assert.equal(c.port, 6385);
    assert.equal(c.eventRetention, 100_000);
    assert.equal(c.bodyLimitBytes, 1024 * 1024);
    assert.equal(c.dataDir, '/home/op/.local/share/starling');
    assert.equal(c.databaseUrl, undefined);
    assert.ok(Object.isFrozen(c));
  });

  test('file < env < flags, with types coerced from text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'starling.yaml'), 'port: 7000\nlogLevel: debug\neventRetention: 5000\n');
    const c = loadServerConfig({ env: { STARLING_PORT: '7001', STARLING_TRUST_PROXY: '10.0.0.5,10.1.0.0/16' }, flags: { config: 'starling.yaml', logLevel: 'warn' }, cwd: dir });
    assert.equal(c.port, 7001);
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.eventRetention, 5000);
    assert.equal(c.trustProxy, '10.0.0.5,10.1.0.0/16');
  });

  test('errors name the setting and where it came from', () => {
    assert.throws(() => loadServerConfig({ env: { STARLING_PORT: '70000' } }), (e: ConfigError) => e.key === 'port' && /STARLING_PORT/.test(e.message));
    assert.throws(() => loadServerConfig({ env: { STARLING_DATABASE_URL: 'mysql://x' } }), (e: ConfigError) => e.key === 'databaseUrl');
    assert.throws(() => loadServerConfig({ env: {}, flags: { logLevel: 'loud' } }), (e: ConfigError) => e.key === 'logLevel' && /command line/.test(e.message));
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(join(dir, 'c.json'), '{"prot": 1}');
    assert.throws(() => loadServerConfig({ env: {}, flags: { config: 'c.json' }, cwd: dir }), (e: ConfigError) => e.key === 'prot' && /not a known setting/.test(e.message));
    writeFileSync(join(dir, 'bad.json'), '{');
    assert.throws(() => loadServerConfig({ env: {}, flags: { config: 'bad.json' }, cwd: dir }), (e: ConfigError) => e.key === 'config' && /not valid JSON/.test(e.message));
    assert.throws(() => loadServerConfig({ env: { STARLING_ADMIN_PASSWORD: 'short' } }), (e: ConfigError) => e.key === 'adminPassword' && !e.message.includes('short'));
    assert.throws(() => loadServerConfig({ env: {}, flags: { heartbeatPeriodMs: '50' } }), (e: ConfigError) => e.key === 'heartbeatPeriodMs' && /0 \(reports are the heartbeat\) or from 100 to 10000 ms, not 50 \(from the command line\)/.test(e.message));
    assert.equal(loadServerConfig({ env: { STARLING_HEARTBEAT_PERIOD_MS: '0' } }).heartbeatPeriodMs, 0, '0 turns the UDP heartbeat off');
    assert.equal(loadServerConfig({ env: {} }).heartbeatPeriodMs, 100);
  });
});
