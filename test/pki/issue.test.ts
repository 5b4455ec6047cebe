/**
 * Certificates issue.ts makes, checked three ways: the ASN.1 schema library
 * parses each one and encodes its to-be-signed part again to the same bytes
 * (canonical DER); node's X.509 reads the fields and verifies the signature
 * with the issuer's key; openssl verifies the chain.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { issueCertificate, loadIssuer } from '../../src/pki/issue.js';
import { generateKeyPair } from '../../src/pki/keys.js';
import { pemToDer } from '../../src/pki/pem.js';

/** The certificate's to-be-signed bytes as issued, and as the schema library encodes what it parsed from them. */
function tbsTwice(pem: string): { issued: Buffer; schema: Buffer } {
  const der = pemToDer(pem);
  const cert = AsnConvert.parse(der, asn.Certificate);
  const schema = Buffer.from(AsnConvert.serialize(cert.tbsCertificate));
  // The issued TBS is the first element of the certificate SEQUENCE: read its length from the DER.
  const bytes = Buffer.from(der);
  const at = bytes[1]! & 0x80 ? 2 + (bytes[1]! & 0x7f) : 2;
  const len = bytes[at + 1]! & 0x80 ? bytes.readUIntBE(at + 2, bytes[at + 1]! & 0x7f) + 2 + (bytes[at + 1]! & 0x7f) : bytes[at + 1]! + 2;
  return { issued: bytes.subarray(at, at + len), schema };
}

test('root, intermediate, server and client certificates: the schema re-encodes each byte for byte; node and openssl verify them', async () => {
  const now = Date.now();
  const day = 86_400_000;
  const rootKeys = await generateKeyPair();
  const root = await issueCertificate({ subjectKeys: rootKeys.keys, subject: 'CN=starling fleet root CA, O=Starling', usage: 'ca', notBefore: new Date(now - day), notAfter: new Date(Date.UTC(2051, 0, 1)) });
  const icaKeys = await generateKeyPair();
  const ica = await issueCertificate({ issuer: { certPem: root, key: rootKeys.keys.privateKey }, subjectKeys: icaKeys.keys, subject: 'CN=subcloud gare_de_lyon-é ICA, O=Starling', usage: 'ca', pathLength: 0, notBefore: new Date(now - day), notAfter: new Date(Date.UTC(2049, 11, 31, 23, 59, 59)) });
  const icaIssuer = await loadIssuer({ certPem: ica, key: icaKeys.keys.privateKey });
  const serverKeys = await generateKeyPair();
  const server = await issueCertificate({ issuer: icaIssuer, subjectKeys: serverKeys.keys, subject: 'CN=starling API', sans: ['127.0.0.1', 'localhost', 'controller.example', '::1'], usage: 'server', notBefore: new Date(now - day), notAfter: new Date(now + 30 * day) });
  const clientKeys = await generateKeyPair();
  const client = await issueCertificate({ issuer: icaIssuer, subjectKeys: clientKeys.keys, subject: 'CN=subcloud:edge-1, O=Starling', usage: 'client', notBefore: new Date(now - day), notAfter: new Date(now + 30 * day) });

  for (const [what, pem] of Object.entries({ root, ica, server, client })) {
    const { issued, schema } = tbsTwice(pem);
    assert.ok(issued.equals(schema), `${what}: the to-be-signed part is canonical DER, as the schema encodes it`);
  }

  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  const notAfter = (pem: string) => AsnConvert.parse(pemToDer(pem), asn.Certificate).tbsCertificate.validity.notAfter;
  assert.ok(notAfter(ica).utcTime && !notAfter(ica).generalTime, '2049: UTCTime');
  assert.ok(notAfter(root).generalTime && !notAfter(root).utcTime, '2051: GeneralizedTime');

  const x = (pem: string) => new X509Certificate(pem);
  assert.ok(x(root).verify(x(root).publicKey), 'the root is self-signed');
  assert.ok(x(ica).verify(x(root).publicKey) && x(ica).checkIssued(x(root)));
  assert.ok(x(server).verify(x(ica).publicKey) && x(server).checkIssued(x(ica)));
  assert.ok(x(client).verify(x(ica).publicKey) && x(client).checkIssued(x(ica)));
  assert.equal(x(root).validTo, 'Jan  1 00:00:00 2051 GMT', 'GeneralizedTime from 2050');
  assert.equal(x(ica).validTo, 'Dec 31 23:59:59 2049 GMT', 'UTCTime through 2049');
  assert.ok(x(ica).ca && x(root).ca && !x(server).ca && !x(client).ca);
  assert.equal(x(ica).subject, 'CN=subcloud gare_de_lyon-é ICA\nO=Starling');
  assert.equal(x(server).subjectAltName, 'IP Address:127.0.0.1, DNS:localhost, DNS:controller.example, IP Address:0:0:0:0:0:0:0:1');
  assert.equal(x(client).subject, 'CN=subcloud:edge-1\nO=Starling');
  assert.deepEqual(x(client).keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.deepEqual(x(server).keyUsage, ['1.3.6.1.5.5.7.3.1']);

  const dir = mkdtempSync(join(tmpdir(), 'starling-issue-test-'));
  try {
    writeFileSync(join(dir, 'root.pem'), root);
    writeFileSync(join(dir, 'ica.pem'), ica);
    for (const [what, pem, purpose] of [['server', server, 'sslserver'], ['client', client, 'sslclient']] as const) {
      writeFileSync(join(dir, `${what}.pem`), pem);
      const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'ica.pem'), '-purpose', purpose, join(dir, `${what}.pem`)], { encoding: 'utf8' });
      assert.match(out, /: OK/, `openssl verifies the ${what} chain`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
