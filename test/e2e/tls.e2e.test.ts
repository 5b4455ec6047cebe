/**
 * Trust on the wire, with real processes: a system controller on HTTPS, a
 * subcloud and agents that pin its CA from their enroll tokens and then
 * report over mutual TLS, and a machine in the middle (its own CA, the
 * right address in its certificate) put between them at enrollment and
 * later: refused every time, sent nothing, and nothing it could carry is
 * applied. Also the CLI's trust on first use and its refusal of a changed
 * certificate, a copied agent credential without its key, and plain HTTP
 * saying so.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tlsFetch } from '../../src/pki/tls-fetch.js';
import { enrollToken, Site, spawnBin } from '../helpers/e2e-site.js';
import { Link } from '../helpers/link.js';
import { MitmProxy } from '../helpers/mitm.js';
import { runBin, startServe } from '../helpers/processes.js';
import { until } from '../helpers/until.js';

const PASSWORD = 'tls-e2e-admin-pw';
const ENV = { STARLING_ADMIN_PASSWORD: PASSWORD, STARLING_REPORT_INTERVAL_MS: '1000', STARLING_SUBCLOUD_AUDIT_WINDOW_MS: '2000', STARLING_UPLINK_BACKOFF_CAP_MS: '1000' };

describe('TLS on every link: pinned enrollment, mutual TLS, and a machine in the middle refused', () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-tls-'));
  const children: ChildProcess[] = [];
  let central: Site;
  let mitm: MitmProxy;
  let port: number;

  before(async () => {
    const served = await startServe(['--role', 'systemcontroller', '--system-name', 'central', '--system-mode', 'duplex', '--data-dir', join(home, 'central')], ENV);
    children.push(served.child);
    central = new Site('central', served, PASSWORD);
    port = Number(new URL(central.url).port);
    mitm = new MitmProxy({ host: '127.0.0.1', port });
    await mitm.up();
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await mitm.down();
    rmSync(home, { recursive: true, force: true });
  });

  test('a subcloud enrolling through the machine in the middle refuses it before sending its token; the token still works', async () => {
    const token = enrollToken(await central.cli(home, 'subcloud', 'add', 'sc-m'));
    assert.match(token, /^\S+\.[0-9a-f]{64}$/, 'the token pins the CA');
    const before = { ...mitm.seen };
    await assert.rejects(
      startServe(['--role', 'subcloud', '--system-name', 'sc-m', '--data-dir', join(home, 'sc-m-mitm'), '--system-controller', mitm.url, '--enroll-token', token], ENV),
      /refusing https:\/\/127\.0\.0\.1:\d+: it presented no certificate from the CA the enroll token pins/,
    );
    assert.ok(mitm.seen.handshakes > before.handshakes, 'it did reach the machine in the middle');
    assert.equal(mitm.seen.plaintextBytes, before.plaintextBytes, 'and sent it nothing');
    assert.equal((await central.ok('GET', '/api/v1/subclouds/sc-m')).deploy_status, 'pre-enroll');

    const served = await startServe(['--role', 'subcloud', '--system-name', 'sc-m', '--data-dir', join(home, 'sc-m'), '--system-controller', central.url, '--enroll-token', token], ENV);
    children.push(served.child);
    await until('sc-m online', async () => (await central.ok('GET', '/api/v1/subclouds/sc-m')).availability_status === 'online');
    served.child.kill('SIGKILL');
  });

  test('an agent enrolling through the machine in the middle refuses it; its host stays unenrolled', async () => {
    const token = enrollToken(await central.cli(home, 'host', 'add', 'controller-0', '--personality', 'controller'));
    const before = { ...mitm.seen };
    const r = await runBin(['agent', '--controller', mitm.url, '--hostname', 'controller-0', '--state-dir', join(home, 'agent-mitm'), '--driver', 'sim', '--enroll-token', token], { HOME: home });
    assert.notEqual(r.code, 0);
    assert.match(r.err + r.out, /refusing .*no certificate from the CA the enroll token pins.*Nothing was sent/s);
    assert.equal(mitm.seen.plaintextBytes, before.plaintextBytes);
    assert.equal((await central.ok('GET', '/api/v1/hosts/controller-0')).availability, 'offline');
  });

  test("put in the middle of an enrolled subcloud's link, the machine gets nothing and changes nothing; the link back, all converges", async () => {
    const link = new Link('127.0.0.1', port, 'https');
    await link.up();
    const token = enrollToken(await central.cli(home, 'subcloud', 'add', 'sc-l'));
    const served = await startServe(['--role', 'subcloud', '--system-name', 'sc-l', '--data-dir', join(home, 'sc-l'), '--system-controller', link.url, '--enroll-token', token], ENV);
    children.push(served.child);
    const sc = new Site('sc-l', served, PASSWORD);
    await until('sc-l online and complete', async () => {
      const s = await central.ok('GET', '/api/v1/subclouds/sc-l');
      return s.availability_status === 'online' && s.deploy_status === 'complete';
    });
    await central.ok('POST', '/api/v1/subclouds/sc-l/manage', {});
    await central.ok('POST', '/api/v1/users', { name: 'noc-before', role: 'reader', password: 'noc-before-pw-1' }, 201);
    await until('noc-before synced to sc-l', async () => (await sc.api('GET', '/api/v1/users/noc-before')).status === 200);

    const before = { ...mitm.seen };
    link.retarget(mitm.port);
    await central.ok('POST', '/api/v1/users', { name: 'mallory', role: 'admin', password: 'mallory-pw-1234' }, 201);
    await until('sc-l offline behind the machine in the middle', async () => (await central.ok('GET', '/api/v1/subclouds/sc-l')).availability_status === 'offline', 30_000);
    assert.ok(mitm.seen.handshakes > before.handshakes, 'the subcloud tried the machine in the middle');
    assert.equal(mitm.seen.plaintextBytes, before.plaintextBytes, 'and sent it nothing');
    assert.equal((await sc.api('GET', '/api/v1/users/mallory')).status, 404, 'nothing crossed it');
    await until('the subcloud says why, once, and raises 280.010', async () => (await sc.ok('GET', '/api/v1/alarms?alarm_id=280.010')).items.length === 1);
    assert.equal(served.output().match(/presented a certificate that does not chain to the CA pinned at enrollment/g)?.length, 1, served.output());

    link.retarget(port);
    await until('sc-l back online', async () => (await central.ok('GET', '/api/v1/subclouds/sc-l')).availability_status === 'online', 30_000);
    await until('mallory synced once the real link is back', async () => (await sc.api('GET', '/api/v1/users/mallory')).status === 200);
    await until('280.010 cleared', async () => (await sc.ok('GET', '/api/v1/alarms?alarm_id=280.010')).items.length === 0);
    served.child.kill('SIGKILL');
    await link.down();
  });

  test("an agent's copied credential is refused without its key, and with another host's certificate", async () => {
    const agents: Record<string, { credential: string; tls: { ca: string; cert: string; key: string } }> = {};
    for (const host of ['controller-0', 'controller-1']) {
      // controller-0 was added (and never enrolled) above; controller-1 is new.
      const add = host === 'controller-0' ? await central.cli(home, 'host', 'enroll-token', host) : await central.cli(home, 'host', 'add', host, '--personality', 'controller');
      const dir = join(home, `agent-${host}`);
      const agent = spawnBin(['agent', '--controller', central.url, '--hostname', host, '--state-dir', dir, '--driver', 'sim', '--log-level', 'warn', '--enroll-token', /\bste_\S+/.exec(add)![0]], { HOME: home });
      children.push(agent.child);
      await until(`${host} online`, async () => (await central.ok('GET', `/api/v1/hosts/${host}`)).availability === 'online');
      agents[host] = JSON.parse(readFileSync(join(dir, 'credential.json'), 'utf8'));
    }
    const { credential, tls } = agents['controller-0']!;
    const report = (fetchWith: typeof fetch) =>
      fetchWith(`${central.url}/api/v1/agent/report`, { method: 'POST', headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' }, body: '{}' });
    const bare = await report(tlsFetch({ ca: tls.ca }));
    assert.equal(bare.status, 401);
    assert.match(((await bare.json()) as { message: string }).message, /no client certificate was sent.*host:controller-0 must connect with the client certificate/);
    const other = agents['controller-1']!.tls;
    const borrowed = await report(tlsFetch({ ca: tls.ca, cert: other.cert, key: other.key }));
    assert.equal(borrowed.status, 401);
    assert.match(((await borrowed.json()) as { message: string }).message, /the client certificate is for host:controller-1, not host:controller-0/);
    const own = await report(tlsFetch(tls));
    assert.equal(own.status, 400, 'with its own certificate it gets as far as validating the body');
  });

  test("put in the middle of an enrolled agent's link, the machine gets nothing; the link back, the agent reports again", async () => {
    const link = new Link('127.0.0.1', port, 'https');
    await link.up();
    const token = /\bste_\S+/.exec(await central.cli(home, 'host', 'add', 'worker-0', '--personality', 'worker'))![0];
    const agent = spawnBin(['agent', '--controller', link.url, '--hostname', 'worker-0', '--state-dir', join(home, 'agent-link'), '--driver', 'sim', '--log-level', 'warn', '--enroll-token', token], { HOME: home });
    children.push(agent.child);
    await until('worker-0 reporting through the link', async () => (await central.ok('GET', '/api/v1/hosts/worker-0')).availability === 'online');
    const before = { ...mitm.seen };
    link.retarget(mitm.port);
    await until('the agent refuses the machine in the middle, and says so once', async () => agent.output().includes('presented a certificate that does not chain to the CA pinned at enrollment'), 15_000);
    assert.ok(mitm.seen.handshakes > before.handshakes);
    assert.equal(mitm.seen.plaintextBytes, before.plaintextBytes, 'the agent sent it nothing');
    link.retarget(port);
    const reported = (await central.ok('GET', '/api/v1/hosts/worker-0')).last_report_at;
    await until('worker-0 reports again over the real link', async () => (await central.ok('GET', '/api/v1/hosts/worker-0')).last_report_at !== reported, 20_000);
    assert.equal(agent.output().match(/does not chain to the CA pinned at enrollment/g)?.length, 1);
    agent.child.kill('SIGKILL');
    await link.down();
  });

  test('the CLI trusts a controller on first use when told yes, and refuses it once its certificate no longer chains to that CA', async () => {
    const link = new Link('127.0.0.1', port, 'https');
    await link.up();
    const cliHome = mkdtempSync(join(home, 'cli-'));
    const env = { HOME: cliHome };
    const login = ['login', '--url', link.url, '--username', 'admin', '--password', PASSWORD];
    const unanswered = await runBin(login, env);
    assert.equal(unanswered.code, 1);
    assert.match(unanswered.err, /presents a certificate issued by\n {2}CN=central fleet root CA, O=Starling\n {2}sha256:[0-9a-f]{64}/);
    assert.match(unanswered.err, /cannot ask whether to trust sha256:[0-9a-f]{64}: give --ca-file/);
    assert.equal((await runBin(login, env, 'no\n')).code, 1);
    const yes = await runBin(login, env, 'y\n');
    assert.equal(yes.code, 0, yes.err);
    assert.equal((await runBin(['alarm', 'summary'], env)).code, 0);
    const certificates = await runBin(['certificate', 'list'], env);
    assert.equal(certificates.code, 0, certificates.err);
    assert.match(certificates.out, /Residual Time.*Expiry Date/);
    assert.match(certificates.out, /\| platform +\| platform +\| 36\dd/);
    assert.match(certificates.out, /fleet-root-ca/);

    link.retarget(mitm.port);
    const refused = await runBin(['alarm', 'summary'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /does not chain to the CA trusted at login \(sha256:[0-9a-f]{64}\).*Nothing was sent/);
    await link.down();
  });

  test('plain HTTP only when asked for, and said loudly in the output and /readyz', async () => {
    const served = await startServe(['--insecure-http', '--data-dir', join(home, 'plain')], ENV);
    children.push(served.child);
    assert.match(served.url, /^http:\/\//);
    assert.match(served.output(), /WARNING: plain HTTP \(--insecure-http\)/);
    const ready = (await (await fetch(`${served.url}/readyz`)).json()) as { tls: boolean; warning: string };
    assert.equal(ready.tls, false);
    assert.match(ready.warning, /plain HTTP .*TLS-terminating proxy/);
    served.child.kill('SIGKILL');
  });
});
