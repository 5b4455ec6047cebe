/**
 * Renewal as the parent and the child's PKI carry it out (both backends for
 * the system controller's side): a subcloud's intermediate CA renewed with
 * its key, so what it signed stays valid and its agents are handed the new
 * certificate; client certificate requests answered, refused with the
 * reason, or answered with the same certificate when sent again; the API
 * certificate renewing itself at two thirds of its life.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logging.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { certificateRequest } from '../../src/pki/csr-writer.js';
import { generateKeyPair } from '../../src/pki/keys.js';
import { trustTokenOf } from '../../src/pki/trust-token.js';
import { ChildRenewal } from '../../src/resources/certificates/child-renewal.js';
import { PlatformPki } from '../../src/resources/certificates/platform-pki.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../helpers/backends.js';

const DAY = 86_400_000;
const YEAR = 365 * DAY;

describeEachBackend('certificate renewal', (ctx) => {
  let clock: ManualClock;
  let siteDb: TestDatabase;
  let sc: PlatformPki;
  let renewal: ChildRenewal;

  beforeEach(async () => {
    clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
    await migrateToLatest(ctx.database);
    await ctx.database.db.deleteFrom('certificates').execute();
    sc = new PlatformPki({ db: ctx.database.db, clock, role: 'systemcontroller', systemName: 'central', log: silentLogger(), mtls: true });
    await sc.open();
    await sc.ensureServerCertificate(['127.0.0.1']);
    renewal = new ChildRenewal({ pki: sc, clock, log: silentLogger() });
    siteDb = await createTestDatabase('sqlite');
    await migrateToLatest(siteDb);
  });
  afterEach(() => siteDb.dispose());

  test("a subcloud's intermediate CA renews with its key at two thirds of its life; its agents are handed the new one", async () => {
    const site = new PlatformPki({ db: siteDb.db, clock, role: 'subcloud', systemName: 'edge-1', log: silentLogger(), mtls: true });
    await site.open();
    await site.installCa(await sc.signIntermediateCa('edge-1', await site.caRequest()));
    await site.ensureServerCertificate(['127.0.0.1']);
    const oldIca = new X509Certificate(site.caChainPem);
    const oldServer = new X509Certificate(site.serverTls().cert);
    const agentTrust = trustTokenOf(site.trustBundle);
    const siteRenewal = new ChildRenewal({ pki: site, clock, log: silentLogger() });
    assert.deepEqual(await siteRenewal.answer({ principal: 'host:controller-0', type: 'host-client', owner: 'controller-0' }, { trust_token: agentTrust }, undefined), {}, 'an agent with the current CA is told nothing');

    assert.equal(await site.caRenewalRequest(), undefined, 'not due');
    clock.advance(2 * YEAR + DAY);
    const request = await site.caRenewalRequest();
    assert.ok(request);
    assert.equal(await site.caRenewalRequest(), request, 'the same request until it is answered');
    const answered = await renewal.answerCa('edge-1', request!);
    assert.ok(answered.ca_certificate);
    await site.installRenewedCa(answered.ca_certificate!);

    const newIca = new X509Certificate(site.caChainPem);
    assert.notEqual(newIca.fingerprint256, oldIca.fingerprint256);
    assert.ok(Date.parse(newIca.validTo) > Date.parse(oldIca.validTo), 'it lives longer');
    assert.ok(newIca.publicKey.export({ type: 'spki', format: 'der' }).equals(oldIca.publicKey.export({ type: 'spki', format: 'der' })), 'with the same key');
    assert.ok(oldServer.verify(newIca.publicKey), 'what the old one signed verifies under the new one');
    const server = new X509Certificate(site.serverTls().cert);
    assert.notEqual(server.fingerprint256, oldServer.fingerprint256, 'the API certificate is reissued under it');
    assert.ok(server.checkIssued(newIca));
    assert.equal(await site.caRenewalRequest(), undefined, 'no longer due');
    const recorded = await ctx.database.db.selectFrom('certificates').select('fingerprint').where('name', '=', 'subcloud-ica/edge-1').executeTakeFirstOrThrow();
    assert.equal(recorded.fingerprint, newIca.fingerprint256.replace(/:/g, '').toLowerCase(), 'the system controller lists the renewed ICA');

    const told = await siteRenewal.answer({ principal: 'host:controller-0', type: 'host-client', owner: 'controller-0' }, { trust_token: agentTrust }, undefined);
    assert.equal(told.trust?.length, 1, 'an agent still on the old ICA is handed the new one');
    assert.equal(new X509Certificate(told.trust![0]!).fingerprint256, newIca.fingerprint256);
    assert.deepEqual(await siteRenewal.answer({ principal: 'host:controller-0', type: 'host-client', owner: 'controller-0' }, { trust_token: trustTokenOf(told.trust!) }, undefined), {});
  });

  test('an intermediate CA request that is not one is refused with the reason, and nothing is recorded', async () => {
    const answered = await renewal.answerCa('edge-1', 'not a request');
    assert.match(answered.ca_certificate_error ?? '', /not a PEM PKCS#10 certificate request/);
    assert.equal(await sc.issuedTo('subcloud-ica', 'edge-1'), undefined);
  });

  test('client certificates: asked for when due or from another CA, signed for the principal only, the same one for the same request', async () => {
    const child = { principal: 'subcloud:edge-1', type: 'subcloud-client' as const, owner: 'edge-1' };
    const now = clock.now();
    const presented = { notBefore: now - DAY, notAfter: now + YEAR - DAY, issuerFingerprint: sc.clientIssuerFingerprint };
    assert.deepEqual(await renewal.answer(child, {}, presented), {}, 'fresh: nothing asked');
    assert.deepEqual(await renewal.answer(child, {}, { ...presented, issuerFingerprint: 'ab'.repeat(32) }), { renew_certificate: true }, 'from another CA: renew');
    clock.advance(244 * DAY);
    assert.deepEqual(await renewal.answer(child, {}, presented), { renew_certificate: true }, 'two thirds through: renew');

    const other = await renewal.answer(child, { csr: certificateRequest((await generateKeyPair()).privateKeyPem, 'subcloud:edge-2') }, presented);
    assert.match(other.certificate_error ?? '', /names subcloud:edge-2, but this enrollment is for subcloud:edge-1/);
    assert.equal(await sc.issuedTo('subcloud-client', 'edge-1'), undefined, 'nothing recorded');

    const csr = certificateRequest((await generateKeyPair()).privateKeyPem, 'subcloud:edge-1');
    const first = await renewal.answer(child, { csr }, presented);
    assert.equal(new X509Certificate(first.certificate!).subject, 'CN=subcloud:edge-1\nO=Starling');
    const again = await renewal.answer(child, { csr }, presented);
    assert.equal(again.certificate, first.certificate, 'the same request (its reply lost) gets the same certificate');
    const fresh = await renewal.answer(child, { csr: certificateRequest((await generateKeyPair()).privateKeyPem, 'subcloud:edge-1') }, presented);
    assert.notEqual(fresh.certificate, first.certificate, 'a request for another key gets a certificate of its own');
  });

  test('the API certificate renews itself at two thirds of its life, not before', async () => {
    const before = new X509Certificate(sc.serverTls().cert);
    assert.equal(await sc.renewServerCertificateIfDue(), false);
    clock.advance(243 * DAY);
    assert.equal(await sc.renewServerCertificateIfDue(), false);
    clock.advance(2 * DAY);
    assert.equal(await sc.renewServerCertificateIfDue(), true);
    const after = new X509Certificate(sc.serverTls().cert);
    assert.notEqual(after.fingerprint256, before.fingerprint256);
    assert.equal(after.subjectAltName, before.subjectAltName, 'with the same names');
  });
});
