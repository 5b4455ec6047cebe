/**
 * Enrollment on a controller that serves TLS (both backends): tokens pin its
 * CA, children must send a certificate request, get a client certificate
 * (and a subcloud its ICA), and a refused request spends nothing.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { certificateRequest } from '../../src/pki/csr-writer.js';
import { generateKeyPair } from '../../src/pki/keys.js';
import { EC_P256, x509 } from '../../src/pki/x509.js';
import { parseEnrollToken } from '../../src/protocol/enroll-token.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { describeEachBackend } from '../helpers/backends.js';

describeEachBackend('enrollment over TLS', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { https: true, systemMode: 'duplex' });
  });
  afterEach(() => api.close());

  test("a host's token pins the CA; without a request, or with one claiming names, nothing is spent; then the agent gets its certificate", async () => {
    const added = await api.request('admin', 'POST', '/api/v1/hosts', { hostname: 'controller-0', personality: 'controller' });
    assert.equal(added.status, 201);
    const token = parseEnrollToken(added.body.enroll_token);
    assert.equal(token.caFingerprint, api.pki.servingAnchor.fingerprint);

    const bare = await api.request(null, 'POST', '/api/v1/agent/enroll', { token: added.body.enroll_token, hostname: 'controller-0' });
    assert.equal(bare.status, 400);
    assert.equal(bare.body.field, 'csr');
    assert.match(bare.body.message, /required: this controller uses mutual TLS/);

    const pair = await generateKeyPair();
    const claiming = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=host:controller-0', keys: pair.keys, signingAlgorithm: EC_P256, extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'evil.example' }])] });
    const refused = await api.request(null, 'POST', '/api/v1/agent/enroll', { token: token.secret, hostname: 'controller-0', csr: claiming.toString('pem') });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /may not ask for subject alternative names/);
    assert.equal((await ctx.database.db.selectFrom('certificates').select('name').where('type', '=', 'host-client').execute()).length, 0, 'nothing issued');

    const enrolled = await api.request(null, 'POST', '/api/v1/agent/enroll', { token: token.secret, hostname: 'controller-0', csr: certificateRequest(pair.privateKeyPem, 'host:controller-0') });
    assert.equal(enrolled.status, 200, enrolled.text);
    const cert = new X509Certificate(enrolled.body.certificate);
    assert.equal(cert.subject, 'CN=host:controller-0\nO=Starling');
    assert.ok(cert.verify(new X509Certificate(api.pki.caChainPem).publicKey));
    const row = await ctx.database.db.selectFrom('certificates').selectAll().where('name', '=', 'host-client/controller-0').executeTakeFirstOrThrow();
    assert.equal(row.key_pem, null, "the agent's key never reaches the controller");
    assert.equal(row.owner, 'controller-0');

    const audit = await ctx.database.db.selectFrom('audit_log').select(['route', 'outcome', 'status']).where('route', '=', '/api/v1/agent/enroll').orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => a.status), [400, 400, 200], 'every attempt is audited');

    // The bearer credential alone, on a connection without a certificate, is refused.
    const report = await api.request(null, 'POST', '/api/v1/agent/report', {}, { authorization: `Bearer ${enrolled.body.credential}` });
    assert.equal(report.status, 401);
    assert.match(report.body.message, /client certificate is required/);
  });

  test('a subcloud gets a client certificate and, when it asks, its intermediate CA', async () => {
    const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'edge-1' });
    assert.equal(parseEnrollToken(added.body.enroll_token).caFingerprint, api.pki.servingAnchor.fingerprint);
    const client = await generateKeyPair();
    const ca = await generateKeyPair();
    const enrolled = await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, csr: certificateRequest(client.privateKeyPem), ca_csr: certificateRequest(ca.privateKeyPem) });
    assert.equal(enrolled.status, 200, enrolled.text);
    assert.equal(new X509Certificate(enrolled.body.certificate).subject, 'CN=subcloud:edge-1\nO=Starling');
    const [ica, root] = enrolled.body.ca_certificate.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g).map((p: string) => new X509Certificate(p));
    assert.equal(ica.ca, true);
    assert.equal(ica.subject, 'CN=edge-1 ICA\nO=Starling');
    assert.equal(root.fingerprint256, new X509Certificate(api.pki.caChainPem).fingerprint256, 'then the fleet root');
    const names = (await ctx.database.db.selectFrom('certificates').select('name').orderBy('name').execute()).map((r) => r.name);
    assert.deepEqual(names, ['fleet-root-ca', 'platform', 'subcloud-client/edge-1', 'subcloud-ica/edge-1']);
  });
});
