/**
 * A fleet root CA rotation end to end (both backends): a system controller
 * serving mutual TLS and two real subclouds, each over its own link; one is
 * offline for all of phase 1 (trust both roots) and comes back during phase
 * 2, carried in by the new root cross-signed by the old, and converges. At
 * the end every subcloud's client certificate and intermediate CA are from
 * the new root, each trusts the new root alone, the old root is gone, and
 * both keep reporting. An abort after the new root began signing leaves
 * both roots trusted and every subcloud reporting.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { loadServerConfig } from '../../src/core/server-config.js';
import { silentLogger } from '../../src/core/logging.js';
import { splitPemChain } from '../../src/pki/pem.js';
import { parseEnrollToken } from '../../src/protocol/enroll-token.js';
import { startController, type RunningController } from '../../src/server/start.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { describeEachBackend } from '../helpers/backends.js';
import { Link } from '../helpers/link.js';
import { until as untilWithin } from '../helpers/until.js';


/** These waits span renewals and link drops: longer than the helper's default. */
const until = <T,>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 45_000) => untilWithin(what, probe, timeoutMs);

interface Site {
  name: string;
  link: Link;
  controller: RunningController;
  dir: string;
}

describeEachBackend('fleet root CA rotation (ca-update)', (ctx) => {
  let central: TestApi;
  let sites: Site[];
  let ticking = true;
  let ticker: Promise<void>;
  let tickError: Error | undefined;

  const strategy = async () => (await central.request('reader', 'GET', '/api/v1/sw-update-strategy')).body;
  const step = async (name: string) => (await central.request('reader', 'GET', `/api/v1/sw-update-strategy/steps/${name}`)).body;
  const lastReport = async (name: string) => (await ctx.database.db.selectFrom('subclouds').select('last_report_at').where('name', '=', name).executeTakeFirstOrThrow()).last_report_at;
  const issuedBy = (pem: string, ca: string) => new X509Certificate(splitPemChain(pem)[0]!).checkIssued(new X509Certificate(ca));
  const stillReporting = async (name: string) => {
    const before = await lastReport(name);
    central.clock.advance(1000);
    await until(`${name} reporting`, async () => (await lastReport(name)) !== before);
  };

  beforeEach(async () => {
    central = await createTestApi(ctx.database, { https: true, reportIntervalMs: 1000 });
    const url = await central.app.listen({ port: 0, host: '127.0.0.1' });
    sites = [];
    for (const name of ['edge-1', 'edge-2']) {
      const link = new Link('127.0.0.1', Number(new URL(url).port), 'https');
      await link.up();
      const added = await central.request('admin', 'POST', '/api/v1/subclouds', { name });
      const dir = mkdtempSync(join(tmpdir(), `starling-${name}-`));
      const config = loadServerConfig({ env: {}, flags: { port: 0, host: '127.0.0.1', dataDir: dir, adminPassword: 'local-admin-pw', role: 'subcloud', systemController: link.url, enrollToken: added.body.enroll_token } });
      sites.push({ name, link, dir, controller: await startController(config, { log: silentLogger(), uplinkBackoff: { baseMs: 100, capMs: 300 } }) });
    }
    for (const s of sites) await until(`${s.name} online`, async () => (await central.request('reader', 'GET', `/api/v1/subclouds/${s.name}`)).body.availability_status === 'online');
    ticking = true;
    tickError = undefined;
    // The runner's loop, as the system controller runs it.
    ticker = (async () => {
      while (ticking) {
        // Kept, not thrown: each test asserts there was none, and the backend's teardown may close the database before this loop stops.
        await central.fleet.tick().catch((err: Error) => void (tickError ??= err));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  });
  afterEach(async () => {
    ticking = false;
    await ticker;
    for (const s of sites) {
      await s.controller.close();
      await s.link.down();
      rmSync(s.dir, { recursive: true, force: true });
    }
    await central.close();
  });

  test('with one subcloud offline for all of phase 1: it comes back in phase 2 and converges; the old root is gone', async () => {
    const oldRoot = central.pki.caChainPem;
    const bad = await central.request('operator', 'POST', '/api/v1/sw-update-strategy', { type: 'ca-update', expiry_date: 'soon' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'expiry_date');
    const created = await central.request('operator', 'POST', '/api/v1/sw-update-strategy', { type: 'ca-update', subject: 'CN=fleet root CA 2027, O=Starling' });
    assert.equal(created.status, 200, created.text + central.logLines.filter((l) => /error|err/.test(l)).slice(-2).join('\n'));
    assert.equal(created.body.steps.total, 2);
    assert.equal(created.body.ca_update.phase, null, 'the new root is made when it is applied');

    // edge-2 drops off before the rotation starts; the audit sees it offline.
    const [edge1, edge2] = sites as [Site, Site];
    await edge2.link.down();
    await new Promise((r) => setTimeout(r, 300));
    central.clock.advance(60_000);
    await central.subcloudAudit.tick();
    assert.equal((await central.request('reader', 'GET', '/api/v1/subclouds/edge-2')).body.availability_status, 'offline');

    const applied = await central.request('operator', 'POST', '/api/v1/sw-update-strategy/actions', { action: 'apply' });
    assert.equal(applied.status, 200, applied.text + central.logLines.filter((l) => /error|err/.test(l)).slice(-3).join('\n'));
    const newRoot = central.pki.rotationState!.next.pem;
    assert.equal(new X509Certificate(newRoot).subject, 'CN=fleet root CA 2027\nO=Starling');

    await until('phase 2 (the new root signs) without edge-2', async () => (await strategy()).ca_update.phase === 'update-certs');
    assert.equal((await step('edge-2')).state, 'updating-trust-both-cas', 'edge-2 has not been handed both roots');
    await until('edge-1 renewed under the new root', async () => (await step('edge-1')).state === 'certs-updated');
    assert.ok(issuedBy(edge1.controller.uplink!.tlsCertificate!, newRoot));

    await edge2.link.up();
    await until('the rotation complete', async () => (await strategy()).state === 'complete', 60_000);
    const done = await strategy();
    assert.equal(done.steps.complete, 2, JSON.stringify(done));
    assert.equal(central.pki.rotationState, undefined);
    assert.equal(new X509Certificate(central.pki.caChainPem).fingerprint256, new X509Certificate(newRoot).fingerprint256, 'the new root is the fleet root CA');
    const roots = await ctx.database.db.selectFrom('certificates').select('name').where('type', '=', 'fleet-root-ca').execute();
    assert.deepEqual(roots.map((r) => r.name), ['fleet-root-ca'], 'the old root and the cross-signed one are gone');
    assert.equal(parseEnrollToken((await central.request('admin', 'POST', '/api/v1/subclouds', { name: 'edge-3' })).body.enroll_token).caFingerprint, central.pki.servingAnchor.fingerprint);
    assert.notEqual(central.pki.servingAnchor.fingerprint, new X509Certificate(oldRoot).fingerprint256.replace(/:/g, '').toLowerCase(), 'new tokens pin the new root');

    for (const s of sites) {
      assert.ok(issuedBy(s.controller.uplink!.tlsCertificate!, newRoot), `${s.name}'s client certificate is from the new root`);
      assert.ok(issuedBy(s.controller.pki.caChainPem, newRoot), `${s.name}'s intermediate CA is from the new root`);
      const stored = JSON.parse((await s.controller.database.db.selectFrom('settings').select('value').where('key', '=', 'uplink').executeTakeFirstOrThrow()).value);
      assert.deepEqual(splitPemChain(stored.tls.ca).map((p) => new X509Certificate(p).fingerprint256), [new X509Certificate(newRoot).fingerprint256], `${s.name} trusts the new root alone`);
      await stillReporting(s.name);
    }
    assert.equal(tickError, undefined, 'no runner pass failed');
  });

  test('an abort after the new root began signing keeps both roots trusted: every subcloud still reports, one that missed it all too', async () => {
    // edge-2 is away for the whole rotation, so phase 2 cannot end before the abort.
    const edge2 = sites[1]!;
    await edge2.link.down();
    await new Promise((r) => setTimeout(r, 300));
    central.clock.advance(60_000);
    await central.subcloudAudit.tick();
    assert.equal((await central.request('operator', 'POST', '/api/v1/sw-update-strategy', { type: 'ca-update' })).status, 200);
    assert.equal((await central.request('operator', 'POST', '/api/v1/sw-update-strategy/actions', { action: 'apply' })).status, 200);
    await until('phase 2', async () => (await strategy()).ca_update.phase === 'update-certs');
    await until('edge-1 renewed', async () => (await step('edge-1')).state === 'certs-updated');
    const aborted = await central.request('operator', 'POST', '/api/v1/sw-update-strategy/actions', { action: 'abort' });
    assert.equal(aborted.status, 200, aborted.text);
    await until('aborted', async () => (await strategy()).state === 'aborted');
    assert.match((await strategy()).reason, /both root CAs stay trusted/);
    assert.equal(central.pki.trustBundle.length, 2);
    await edge2.link.up();
    await until('edge-2 back online, still on the old root', async () => (await central.request('reader', 'GET', '/api/v1/subclouds/edge-2')).body.availability_status === 'online');
    for (const s of sites) await stillReporting(s.name);
    assert.equal((await central.request('operator', 'DELETE', '/api/v1/sw-update-strategy')).status, 204);
    // A new ca-update finishes the rotation with the same new root.
    const next = central.pki.rotationState!.next.fingerprint;
    assert.equal((await central.request('operator', 'POST', '/api/v1/sw-update-strategy', { type: 'ca-update' })).status, 200);
    assert.equal((await central.request('operator', 'POST', '/api/v1/sw-update-strategy/actions', { action: 'apply' })).status, 200);
    await until('complete', async () => (await strategy()).state === 'complete', 60_000);
    assert.equal(central.pki.clientIssuerFingerprint, next);
    for (const s of sites) await stillReporting(s.name);
    assert.equal(tickError, undefined, 'no runner pass failed');
  });
});
