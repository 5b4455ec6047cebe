/**
 * Certificates renew themselves over the report channel (both backends): a
 * host agent and a real subcloud, each over mutual TLS through a link that
 * drops every 15 s, get new client certificates once the parent's clock is
 * two thirds into their lifetime, and the first certificate's reply is lost
 * on the way (the child asks again with the same key, and gets the same certificate). The parent's clock
 * starts 260 days back so the certificates it issues are valid in real
 * time, which TLS checks.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, test } from 'node:test';
import { HostAgent } from '../../src/agent/agent.js';
import { SimDriver } from '../../src/agent/drivers/sim.js';
import { loadServerConfig } from '../../src/core/server-config.js';
import { createLogger, silentLogger } from '../../src/core/logging.js';
import { startController, type RunningController } from '../../src/server/start.js';
import { createTestApi, PASSWORDS, type TestApi } from '../helpers/api.js';
import { describeEachBackend } from '../helpers/backends.js';
import { Link } from '../helpers/link.js';
import { until as untilWithin } from '../helpers/until.js';

const DAY = 86_400_000;

/** These waits span renewals and link drops: longer than the helper's default. */
const until = <T,>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000) => untilWithin(what, probe, timeoutMs);


/** Drops every connection on the link every `everyMs`, for `downMs`. */
function flap(link: Link, everyMs: number, downMs: number): () => void {
  const timer = setInterval(() => {
    void link.down().then(() => setTimeout(() => void link.up(), downMs));
  }, everyMs);
  return () => clearInterval(timer);
}

/** Loses the reply of the first certificate the parent issues: the link goes down as it is signed, and back up after a while. */
function loseFirstCertificate(api: TestApi, link: Link): { issued: () => number } {
  let issued = 0;
  const answer = api.renewal.answer.bind(api.renewal);
  api.renewal.answer = async (child, report, presented) => {
    const reply = await answer(child, report, presented);
    if (reply.certificate && issued++ === 0) {
      await link.down();
      setTimeout(() => void link.up(), 2000);
    }
    return reply;
  };
  return { issued: () => issued };
}

const YEAR = 365 * DAY;

describeEachBackend('certificate renewal over the report channel', (ctx) => {
  let api: TestApi;
  let link: Link;
  let stopFlapping: () => void = () => {};
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    api = await createTestApi(ctx.database, { https: true, reportIntervalMs: 1000, clockStart: Date.now() - 260 * DAY });
    const url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    link = new Link('127.0.0.1', Number(new URL(url).port), 'https');
    await link.up();
  });
  afterEach(async () => {
    stopFlapping();
    for (const c of cleanups.splice(0).reverse()) await c();
    await link.down();
    await api.close();
  });

  test("a host agent's client certificate renews at two thirds of its life, across a lost reply and a link that drops every 15 s", async () => {
    const added = await api.request('admin', 'POST', '/api/v1/hosts', { hostname: 'controller-0', personality: 'controller' });
    const stateDir = mkdtempSync(join(tmpdir(), 'starling-renew-agent-'));
    const agent = new HostAgent({
      controller: link.url,
      hostname: 'controller-0',
      stateDir,
      enrollToken: added.body.enroll_token,
      driver: new SimDriver(),
      inventory: async () => ({ cpu: 'sim', memory: { total_mib: 1024, numa: [] }, disks: [], nics: [], kernel: {}, os: {} }),
      log: process.env.DEBUG_RENEWAL ? createLogger({ level: 'info' }) : silentLogger(),
      random: () => 0.05,
    });
    await agent.start();
    cleanups.push(async () => {
      await agent.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    const credential = () => JSON.parse(readFileSync(join(stateDir, 'credential.json'), 'utf8'));
    const first = credential().tls;
    await until('host online', async () => (await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).body.availability === 'online');

    // Not yet due: a few reports go by and nothing is asked.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(credential().tls.cert, first.cert);
    assert.equal(credential().renewal, undefined);

    const lost = loseFirstCertificate(api, link);
    stopFlapping = flap(link, 15_000, 1000);
    api.clock.advance(250 * DAY);
    const renewed = await until('a renewed certificate in the agent\'s credential', async () => (credential().tls.cert !== first.cert ? credential().tls : undefined), 60_000);
    assert.ok(lost.issued() >= 2, `the lost reply's request was sent again and answered again (issued ${lost.issued()})`);
    assert.notEqual(renewed.key, first.key, 'a new key');
    assert.equal(credential().renewal, undefined, 'no request left pending');
    assert.equal(statSync(join(stateDir, 'credential.json')).mode & 0o777, 0o600);
    const cert = new X509Certificate(renewed.cert);
    assert.equal(cert.subject, 'CN=host:controller-0\nO=Starling');
    assert.ok(Math.abs(Date.parse(cert.validFrom) - api.clock.now()) < 10 * 60_000, 'issued at the parent\'s now');
    const row = await ctx.database.db.selectFrom('certificates').selectAll().where('name', '=', 'host-client/controller-0').executeTakeFirstOrThrow();
    assert.equal(row.pem.split('-----END')[0], renewed.cert.split('-----END')[0], 'the parent lists the renewed certificate');

    // Reports carry on with the new certificate (the next report after the renewal lands on the controller).
    const lastReport = async () => (await ctx.database.db.selectFrom('hosts').select('last_report_at').where('hostname', '=', 'controller-0').executeTakeFirstOrThrow()).last_report_at;
    const before = await lastReport();
    api.clock.advance(2000);
    await until('a report after the renewal', async () => (await lastReport()) !== before, 40_000);
  });

  test("a subcloud's client certificate renews the same way, and the renewal is listed on both sides", async () => {
    const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'edge-1' });
    const dir = mkdtempSync(join(tmpdir(), 'starling-renew-subcloud-'));
    const config = loadServerConfig({
      env: {},
      flags: { port: 0, host: '127.0.0.1', dataDir: dir, adminPassword: 'local-admin-pw', role: 'subcloud', systemController: link.url, enrollToken: added.body.enroll_token },
    });
    const subcloud: RunningController = await startController(config, { log: silentLogger(), uplinkBackoff: { baseMs: 100, capMs: 300 } });
    cleanups.push(async () => {
      await subcloud.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await until('online', async () => (await api.request('reader', 'GET', '/api/v1/subclouds/edge-1')).body.availability_status === 'online');
    const first = subcloud.uplink!.tlsCertificate!;
    const fleet = await until('its certificates in the fleet view', async () => (await api.request('reader', 'GET', '/api/v1/fleet/certificates')).body.items[0]);
    assert.equal(fleet.name, 'edge-1');
    assert.ok(fleet.soonest.residual_days > 300, `its soonest certificate (${fleet.soonest.name}) has most of a year left`);

    const lost = loseFirstCertificate(api, link);
    stopFlapping = flap(link, 15_000, 1000);
    api.clock.advance(250 * DAY);
    const renewed = await until('a renewed subcloud certificate', async () => (subcloud.uplink!.tlsCertificate !== first ? subcloud.uplink!.tlsCertificate : undefined), 60_000);
    assert.ok(lost.issued() >= 2, `the lost reply's request was sent again and answered again (issued ${lost.issued()})`);
    assert.equal(new X509Certificate(renewed).subject, 'CN=subcloud:edge-1\nO=Starling');
    const fingerprint = new X509Certificate(renewed).fingerprint256.replace(/:/g, '').toLowerCase();
    const central = await ctx.database.db.selectFrom('certificates').select('fingerprint').where('name', '=', 'subcloud-client/edge-1').executeTakeFirstOrThrow();
    assert.equal(central.fingerprint, fingerprint, 'the system controller lists it');
    const local = await subcloud.database.db.selectFrom('certificates').select('fingerprint').where('name', '=', 'subcloud-client/edge-1').executeTakeFirstOrThrow();
    assert.equal(local.fingerprint, fingerprint, 'the subcloud lists it');
    const stored = JSON.parse((await subcloud.database.db.selectFrom('settings').select('value').where('key', '=', 'uplink').executeTakeFirstOrThrow()).value);
    assert.equal(stored.tls.cert, renewed, 'stored with the link, so a restart keeps it');
    assert.equal(stored.renewal, undefined);
    const lastReport = async () => (await ctx.database.db.selectFrom('subclouds').select('last_report_at').where('name', '=', 'edge-1').executeTakeFirstOrThrow()).last_report_at;
    const before = await lastReport();
    api.clock.advance(2000);
    await until('a report after the renewal', async () => (await lastReport()) !== before, 40_000);
  });

  /** Sessions are checked against the controller's clock: after moving it back, log in again. */
  const relogin = async () => {
    for (const role of ['admin', 'reader'] as const) {
      const res = await api.request(null, 'POST', '/api/v1/auth/login', { username: role, password: PASSWORDS[role] });
      api.tokens[role] = res.body.token;
    }
  };

  test('a host whose certificate expired while it was away is refused, never accepted; a new enroll token brings it back', async () => {
    const added = await api.request('admin', 'POST', '/api/v1/hosts', { hostname: 'controller-0', personality: 'controller' });
    const stateDir = mkdtempSync(join(tmpdir(), 'starling-expired-agent-'));
    const reports: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        const line = JSON.parse(String(chunk)) as { msg: string; err?: string };
        if (line.msg.startsWith('report failed')) reports.push(line.err ?? '');
        done();
      },
    });
    const makeAgent = (enrollToken?: string) =>
      new HostAgent({
        controller: link.url,
        hostname: 'controller-0',
        stateDir,
        ...(enrollToken ? { enrollToken } : {}),
        driver: new SimDriver(),
        inventory: async () => ({ cpu: 'sim', memory: { total_mib: 1024, numa: [] }, disks: [], nics: [], kernel: {}, os: {} }),
        log: createLogger({ level: 'warn', destination: sink }),
        random: () => 0.05,
      });
    // Enrolled two years ago: its certificate ran out a year ago.
    api.clock.set(Date.now() - 2 * YEAR);
    await makeAgent(added.body.enroll_token).enroll();
    api.clock.set(Date.now());
    await relogin();
    const away = makeAgent();
    await away.start();
    cleanups.push(async () => {
      await away.stop();
      rmSync(stateDir, { recursive: true, force: true });
    });
    await until('refused reports', async () => reports.length >= 2);
    assert.match(reports[0]!, /the client certificate of host:controller-0 expired on \d{4}-.*never accepted: issue a new enroll token \(starling host enroll-token controller-0\) and enroll again/);
    const host = await ctx.database.db.selectFrom('hosts').select(['last_report_at']).where('hostname', '=', 'controller-0').executeTakeFirstOrThrow();
    assert.equal(host.last_report_at, null, 'no report with the expired certificate was accepted');
    await away.stop();

    const token = await api.request('admin', 'POST', '/api/v1/hosts/controller-0/enroll-token');
    assert.equal(token.status, 201);
    const back = makeAgent(token.body.enroll_token);
    reports.length = 0;
    await back.start();
    cleanups.push(() => back.stop());
    await until('host online', async () => (await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).body.availability === 'online');
    const renewed = JSON.parse(readFileSync(join(stateDir, 'credential.json'), 'utf8')).tls.cert;
    assert.ok(Date.parse(new X509Certificate(renewed).validTo) > Date.now() + 300 * DAY);
  });

  test('a subcloud whose certificate expired while it was away comes back with "subcloud enroll-token" and a restart with the token', async () => {
    const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'edge-1' });
    const dir = mkdtempSync(join(tmpdir(), 'starling-expired-subcloud-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const start = (flags: Record<string, unknown>) =>
      startController(loadServerConfig({ env: {}, flags: { port: 0, host: '127.0.0.1', dataDir: dir, adminPassword: 'local-admin-pw', role: 'subcloud', ...flags } }), { log: silentLogger(), uplinkBackoff: { baseMs: 100, capMs: 300 } });
    api.clock.set(Date.now() - 2 * YEAR);
    await link.down(); // enrolls, then finds the link gone
    const enrolling = start({ systemController: link.url, enrollToken: added.body.enroll_token });
    await new Promise((r) => setTimeout(r, 200));
    await link.up();
    const away = await enrolling;
    api.clock.set(Date.now());
    await relogin();
    const row = async () => ctx.database.db.selectFrom('subclouds').select(['last_report_at', 'availability_status']).where('name', '=', 'edge-1').executeTakeFirstOrThrow();
    await until('refused reports', async () => (away.uplink!.failures >= 2 ? true : undefined));
    assert.equal((await row()).last_report_at, null, 'no report with the expired certificate was accepted');
    await away.close();

    const token = await api.request('admin', 'POST', '/api/v1/subclouds/edge-1/enroll-token');
    assert.equal(token.status, 201, token.text);
    const back = await start({ enrollToken: token.body.enroll_token });
    cleanups.push(() => back.close());
    await until('online again', async () => (await row()).availability_status === 'online');
    assert.ok(Date.parse(new X509Certificate(back.uplink!.tlsCertificate!).validTo) > Date.now() + 300 * DAY);
  });
});
