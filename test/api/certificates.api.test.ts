/**
 * Certificates as a resource (both backends), on a controller serving TLS
 * with a fake clock: the list and its fields, 500.200 and 500.210 raised as
 * expiry nears and passes and cleared by renewal or installation, and an
 * operator's certificate or CA installed or refused with the field.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { issueCertificate } from '../../src/pki/issue.js';
import { generateKeyPair } from '../../src/pki/keys.js';
import { createTestApi, PASSWORDS, type TestApi } from '../helpers/api.js';
import { describeEachBackend } from '../helpers/backends.js';

const DAY = 86_400_000;

describeEachBackend('certificates', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { https: true });
  });
  afterEach(() => api.close());

  /** Moves the fake clock (months at a time) and logs in again: sessions last 12 hours. */
  const advance = async (ms: number) => {
    api.clock.advance(ms);
    for (const role of ['admin', 'operator', 'reader'] as const) {
      api.tokens[role] = (await api.request(null, 'POST', '/api/v1/auth/login', { username: role, password: PASSWORDS[role] })).body.token;
    }
  };
  const alarms = async () =>
    ((await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=500.200,500.210')).body.items as Array<{ alarm_id: string; entity_instance_id: string; severity: string; reason_text: string }>)
      .map((a) => `${a.alarm_id} ${a.severity} ${a.entity_instance_id}`)
      .sort();

  test('the list shows what StarlingX shows, soonest expiry first, and never a private key', async () => {
    const list = await api.request('reader', 'GET', '/api/v1/certificates');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((c: { name: string }) => c.name), ['platform', 'fleet-root-ca']);
    const [platform, root] = list.body.items;
    assert.equal(platform.type, 'platform');
    assert.equal(platform.renewal, 'auto');
    assert.equal(platform.state, 'valid');
    assert.match(platform.residual_time, /^36\dd \d+h$/);
    assert.deepEqual(platform.sans, ['127.0.0.1', 'localhost']);
    assert.equal(platform.issuer, root.subject);
    assert.equal(root.type, 'fleet-root-ca');
    assert.deepEqual((await api.request('reader', 'GET', '/api/v1/certificates?soon_to_expiry=400')).body.items.map((c: { name: string }) => c.name), ['platform']);
    assert.deepEqual((await api.request('reader', 'GET', '/api/v1/certificates?type=fleet-root-ca')).body.items.map((c: { name: string }) => c.name), ['fleet-root-ca']);
    const shown = await api.request('reader', 'GET', '/api/v1/certificates/platform');
    assert.match(shown.body.pem, /BEGIN CERTIFICATE/);
    assert.doesNotMatch(shown.text + list.text, /PRIVATE KEY/);
    assert.equal((await api.request('reader', 'GET', `/api/v1/certificates/${root.id}`)).body.name, 'fleet-root-ca', 'by id too');
    assert.equal((await api.request('reader', 'GET', '/api/v1/certificates/nope')).status, 404);
  });

  test('500.200 inside the window, 500.210 once expired, both cleared by renewal; a CA warns 180 days ahead', async () => {
    const platform = (await api.request('reader', 'GET', '/api/v1/certificates/platform')).body;
    const entity = `system.certificate.mode=platform.uuid=${platform.id}`;
    await api.certificateMonitor.tick();
    assert.deepEqual(await alarms(), []);
    await advance(Date.parse(platform.expiry_date) - api.clock.now() - 29 * DAY);
    await api.certificateMonitor.tick();
    assert.deepEqual(await alarms(), [`500.200 major ${entity}`]);
    assert.equal((await api.request('reader', 'GET', '/api/v1/certificates/platform')).body.state, 'expiring-soon');
    await advance(30 * DAY);
    await api.certificateMonitor.tick();
    assert.deepEqual(await alarms(), [`500.210 critical ${entity}`]);
    assert.equal((await api.request('reader', 'GET', '/api/v1/certificates/platform')).body.residual_time, 'expired');

    assert.equal((await api.request('operator', 'POST', '/api/v1/certificates/platform/renew', {})).status, 403);
    const renewed = await api.request('admin', 'POST', '/api/v1/certificates/platform/renew', {});
    assert.equal(renewed.status, 200, renewed.text);
    assert.ok(Date.parse(renewed.body.expiry_date) > api.clock.now() + 360 * DAY);
    assert.notEqual(renewed.body.fingerprint, platform.fingerprint);
    assert.deepEqual(await alarms(), [], 'renewal cleared it');
    assert.equal(api.pki.serverTls().cert, (await api.request('reader', 'GET', '/api/v1/certificates/platform')).body.pem, 'the listener serves the renewed certificate');

    const root = (await api.request('reader', 'GET', '/api/v1/certificates/fleet-root-ca')).body;
    await advance(Date.parse(root.expiry_date) - api.clock.now() - 179 * DAY);
    await api.certificateMonitor.tick();
    assert.ok((await alarms()).includes(`500.200 major system.certificate.mode=fleet-root-ca.uuid=${root.id}`));
    const refused = await api.request('admin', 'POST', '/api/v1/certificates/fleet-root-ca/renew', {});
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /is a CA \(fleet-root-ca\): a CA is replaced by rotating it/);
  });

  test("an operator's server certificate is installed live; a bad one is refused with the field, and the running one stays", async () => {
    const now = api.clock.now();
    const companyKeys = await generateKeyPair();
    const company = await issueCertificate({ subjectKeys: companyKeys.keys, subject: 'CN=Company Root', usage: 'ca', notBefore: new Date(now - DAY), notAfter: new Date(now + 900 * DAY) });
    const keys = await generateKeyPair();
    const server = await issueCertificate({ issuer: { certPem: company, key: companyKeys.keys.privateKey }, subjectKeys: keys.keys, subject: 'CN=sc.company.example', sans: ['sc.company.example'], usage: 'server', notBefore: new Date(now - DAY), notAfter: new Date(now + 90 * DAY) });
    const running = api.pki.serverTls().cert;

    const noKey = await api.request('admin', 'POST', '/api/v1/certificates', { type: 'platform', certificate: server });
    assert.equal(noKey.status, 400);
    assert.equal(noKey.body.field, 'key');
    const wrongKey = await api.request('admin', 'POST', '/api/v1/certificates', { type: 'platform', certificate: server, key: companyKeys.privateKeyPem });
    assert.equal(wrongKey.status, 400);
    assert.deepEqual([wrongKey.body.field, wrongKey.body.message], ['key', 'the private key does not belong to the certificate']);
    const garbage = await api.request('admin', 'POST', '/api/v1/certificates', { type: 'platform', certificate: 'hello', key: keys.privateKeyPem });
    assert.equal(garbage.body.field, 'certificate');
    assert.equal(api.pki.serverTls().cert, running, 'refused: the running certificate stays');
    assert.doesNotMatch(wrongKey.text + api.logLines.join(''), /PRIVATE KEY/, 'no key in error bodies or logs');

    const installed = await api.request('admin', 'POST', '/api/v1/certificates', { type: 'platform', certificate: server + company, key: keys.privateKeyPem });
    assert.equal(installed.status, 201, installed.text);
    assert.equal(installed.body.items[0].renewal, 'manual');
    assert.equal(installed.body.items[0].subject, 'CN=sc.company.example');
    assert.match(api.pki.serverTls().cert, new RegExp(server.split('\n')[1]!.slice(0, 40).replace(/[+/]/g, '\\$&')));
    const renew = await api.request('admin', 'POST', '/api/v1/certificates/platform/renew', {});
    assert.equal(renew.status, 409);
    assert.match(renew.body.message, /installed by an operator \(renewal manual\)/);

    const notCa = await api.request('admin', 'POST', '/api/v1/certificates', { type: 'ssl-ca', certificate: server });
    assert.equal(notCa.status, 400);
    assert.match(notCa.body.message, /is not a CA: an ssl-ca bundle holds CA certificates only/);
    const trusted = await api.request('admin', 'POST', '/api/v1/certificates', { type: 'ssl-ca', certificate: company });
    assert.equal(trusted.status, 201);
    assert.equal(trusted.body.items[0].type, 'ssl-ca');
    const audit = await api.request('admin', 'GET', '/api/v1/audit?limit=50');
    assert.ok(audit.body.items.filter((a: { route: string }) => a.route === '/api/v1/certificates').length >= 5, 'installs are audited, refused ones too');
  });
});
