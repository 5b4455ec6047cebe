/**
 * A controller's PKI on a real database (both backends): its CA, its API
 * certificate and the operator's own, and the certificates it signs for its
 * children, with every refusal naming the field and the reason and leaving
 * the running certificate in place.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { beforeEach, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { InputError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logging.js';
import { certificateRequest } from '../../src/pki/csr-writer.js';
import { issueCertificate } from '../../src/pki/issue.js';
import { generateKeyPair } from '../../src/pki/keys.js';
import { EC_P256, x509 } from '../../src/pki/x509.js';
import { PlatformPki } from '../../src/resources/certificates/platform-pki.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { describeEachBackend } from '../helpers/backends.js';

const DAY = 86_400_000;

/** A request carrying SANs, as a child trying to claim names would send. */
async function csrWithSans(commonName: string, sans: string[]): Promise<string> {
  const pair = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys: pair.keys,
    signingAlgorithm: EC_P256,
    extensions: [new x509.SubjectAlternativeNameExtension(sans.map((value) => ({ type: 'dns' as const, value })))],
  });
  return csr.toString('pem');
}

const refusedWith = (field: string, reason: RegExp) => (err: unknown) => err instanceof InputError && err.field === field && reason.test(err.message);

describeEachBackend('platform PKI', (ctx) => {
  let clock: ManualClock;
  const pki = (role: 'standalone' | 'systemcontroller' | 'subcloud') => new PlatformPki({ db: ctx.database.db, clock, role, systemName: 'rail-7', log: silentLogger(), mtls: true });

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
    await migrateToLatest(ctx.database);
    await ctx.database.db.deleteFrom('certificates').execute();
  });

  test('a system controller makes its fleet root CA once, and an API certificate with the wanted names, reissued only when needed', async () => {
    const sc = pki('systemcontroller');
    await sc.open();
    const root = new X509Certificate(sc.caChainPem);
    assert.equal(root.ca, true);
    assert.equal(root.subject, 'CN=rail-7 fleet root CA\nO=Starling');
    await sc.ensureServerCertificate(['127.0.0.1', 'sc.example.net']);
    const first = sc.serverTls();
    const leaf = new X509Certificate(first.cert);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(root) && leaf.verify(root.publicKey));
    assert.match(leaf.subjectAltName ?? '', /IP Address:127\.0\.0\.1.*DNS:sc\.example\.net|DNS:sc\.example\.net.*IP Address:127\.0\.0\.1/);
    assert.equal(sc.servingAnchor.fingerprint, sc.clientIssuerFingerprint, 'children pin the CA that also issues their certificates');

    const again = pki('systemcontroller');
    await again.open();
    assert.equal(again.caChainPem, sc.caChainPem, 'the root survives a restart');
    await again.ensureServerCertificate(['127.0.0.1', 'sc.example.net']);
    assert.equal(again.serverTls().cert, first.cert, 'nothing changed: not reissued');
    await again.ensureServerCertificate(['127.0.0.1', 'sc.example.net', 'sc-2.example.net']);
    assert.notEqual(again.serverTls().cert, first.cert, 'a new name: reissued');
    clock.advance(300 * DAY);
    const beforeRenewal = again.serverTls().cert;
    await again.ensureServerCertificate(['127.0.0.1']);
    assert.notEqual(again.serverTls().cert, beforeRenewal, 'two thirds into its year: renewed');
  });

  test("an operator's certificate replaces the issued one; a bad one is refused with the field and the reason, and the running one stays", async () => {
    const site = pki('standalone');
    await site.open();
    await site.ensureServerCertificate(['127.0.0.1']);
    const running = site.serverTls();
    const now = clock.now();
    const companyKeys = await generateKeyPair();
    const company = await issueCertificate({ subjectKeys: companyKeys.keys, subject: 'CN=Company Root', usage: 'ca', notBefore: new Date(now - DAY), notAfter: new Date(now + 900 * DAY) });
    const serverKeys = await generateKeyPair();
    const server = await issueCertificate({ issuer: { certPem: company, key: companyKeys.keys.privateKey }, subjectKeys: serverKeys.keys, subject: 'CN=starling.company.example', sans: ['starling.company.example'], usage: 'server', notBefore: new Date(now - DAY), notAfter: new Date(now + 90 * DAY) });
    const otherKey = (await generateKeyPair()).privateKeyPem;
    const expired = await issueCertificate({ issuer: { certPem: company, key: companyKeys.keys.privateKey }, subjectKeys: serverKeys.keys, subject: 'CN=old', usage: 'server', notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) });

    await assert.rejects(site.installServerCertificate({ certPem: 'not a certificate', keyPem: serverKeys.privateKeyPem }), refusedWith('certificate', /no PEM certificate/));
    await assert.rejects(site.installServerCertificate({ certPem: server, keyPem: 'garbage' }), refusedWith('key', /not a valid PEM private key/));
    await assert.rejects(site.installServerCertificate({ certPem: server, keyPem: otherKey }), refusedWith('key', /does not belong to the certificate/));
    await assert.rejects(site.installServerCertificate({ certPem: company, keyPem: companyKeys.privateKeyPem }), refusedWith('certificate', /a CA certificate cannot be the server certificate/));
    await assert.rejects(site.installServerCertificate({ certPem: expired, keyPem: serverKeys.privateKeyPem }), refusedWith('certificate', /expired on/));
    await assert.rejects(site.installServerCertificate({ certPem: company + server, keyPem: companyKeys.privateKeyPem }), refusedWith('certificate', /CA certificate cannot be the server certificate/));
    await assert.rejects(site.installServerCertificate({ certPem: server + server, keyPem: serverKeys.privateKeyPem }), refusedWith('certificate', /certificate 2 in the file did not issue certificate 1/));
    assert.deepEqual(site.serverTls(), running, 'every refusal left the running certificate');

    await site.installServerCertificate({ certPem: server + company, keyPem: serverKeys.privateKeyPem });
    assert.equal(new X509Certificate(site.serverTls().cert).subject, 'CN=starling.company.example');
    assert.equal(site.servingAnchor.pem, company.trim() + '\n', "children pin the top of the operator's chain");
    await site.ensureServerCertificate(['127.0.0.1', 'new-name']);
    assert.equal(new X509Certificate(site.serverTls().cert).subject, 'CN=starling.company.example', "an operator's certificate is not replaced by Starling");
  });

  test('client certificates: the subject is the principal, requests claiming names or another identity are refused', async () => {
    const site = pki('standalone');
    await site.open();
    const pair = await generateKeyPair();
    const pem = await site.signClientCertificate('host:worker-0', certificateRequest(pair.privateKeyPem, 'host:worker-0'));
    const cert = new X509Certificate(pem);
    assert.equal(cert.subject, 'CN=host:worker-0\nO=Starling');
    assert.equal(cert.ca, false);
    assert.ok(cert.verify(new X509Certificate(site.caChainPem).publicKey));
    assert.ok(cert.toLegacyObject().ext_key_usage?.includes('1.3.6.1.5.5.7.3.2'), 'TLS client authentication');
    const unnamed = new X509Certificate(await site.signClientCertificate('subcloud:edge-1', certificateRequest(pair.privateKeyPem)));
    assert.equal(unnamed.subject, 'CN=subcloud:edge-1\nO=Starling', 'a request without a name gets the principal');

    await assert.rejects(site.signClientCertificate('host:worker-0', await csrWithSans('host:worker-0', ['controller.example.net'])), refusedWith('csr', /may not ask for subject alternative names \(it asked for controller\.example\.net\)/));
    await assert.rejects(site.signClientCertificate('host:worker-0', certificateRequest(pair.privateKeyPem, 'host:controller-0')), refusedWith('csr', /names host:controller-0, but this enrollment is for host:worker-0/));
    await assert.rejects(site.signClientCertificate('host:worker-0', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----'), refusedWith('csr', /not a PEM PKCS#10 certificate request/));
    await assert.rejects(site.signIntermediateCa('edge-1', await csrWithSans('x', ['edge-1.example'])), refusedWith('ca_csr', /may not ask for subject alternative names/));
  });

  test("a subcloud's intermediate CA: signed by the fleet root for leaves only, installed only for the key the subcloud asked with", async () => {
    const sc = pki('systemcontroller');
    await sc.open();
    const subcloud = new PlatformPki({ db: ctx.database.db, clock, role: 'subcloud', systemName: 'edge-1', log: silentLogger(), mtls: true });
    await subcloud.open();
    assert.equal(subcloud.ready, false, 'a subcloud has no CA before it enrolls');
    const chain = await sc.signIntermediateCa('edge-1', await subcloud.caRequest());
    const ica = new X509Certificate(chain);
    assert.equal(ica.ca, true);
    assert.ok(ica.verify(new X509Certificate(sc.caChainPem).publicKey));
    const constraints = new x509.X509Certificate(chain).getExtension(x509.BasicConstraintsExtension);
    assert.equal(constraints?.ca, true);
    assert.equal(constraints?.pathLength, 0, 'it may sign leaves, not further CAs');

    const impostor = new PlatformPki({ db: ctx.database.db, clock, role: 'subcloud', systemName: 'edge-2', log: silentLogger(), mtls: true });
    await impostor.caRequest();
    await assert.rejects(impostor.installCa(chain), /not for the key this subcloud asked with/);
    await subcloud.installCa(chain);
    assert.equal(subcloud.ready, true);
    await subcloud.ensureServerCertificate(['127.0.0.1']);
    const tls = subcloud.serverTls();
    assert.equal(tls.ca.length, 2, 'client certificates are checked up to the fleet root');
    assert.ok(new X509Certificate(tls.cert).checkIssued(ica), "the subcloud's API certificate is issued by its ICA");
    assert.equal(subcloud.servingAnchor.fingerprint, subcloud.clientIssuerFingerprint, "its agents pin the subcloud's ICA, not the fleet root");
    assert.notEqual(subcloud.servingAnchor.fingerprint, sc.clientIssuerFingerprint);
  });
});
