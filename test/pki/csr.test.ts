/**
 * A child's certificate request (csr-writer.ts, a few DER constructions) read
 * back by the parent's parser (csr.ts, the ASN.1 schema) and by openssl: the
 * two sides are independent, so each checks the other.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCsr } from '../../src/pki/csr.js';
import { certificateRequest, newPrivateKeyPem } from '../../src/pki/csr-writer.js';
import { pemBlock, pemToDer } from '../../src/pki/pem.js';

test('a request names the subject it was made for, carries its key, and is signed by it', async () => {
  const key = newPrivateKeyPem();
  const read = await readCsr(certificateRequest(key, 'host:worker-0'));
  assert.equal(read.commonName, 'host:worker-0');
  assert.deepEqual(read.sans, []);
  assert.ok(Buffer.from(read.spki).equals(createPublicKey(key).export({ type: 'spki', format: 'der' })));
});

test('a request without a common name leaves the subject to the parent; a non-ASCII name survives', async () => {
  assert.equal((await readCsr(certificateRequest(newPrivateKeyPem()))).commonName, undefined);
  assert.equal((await readCsr(certificateRequest(newPrivateKeyPem(), 'subcloud:gare-de-lyon-é'))).commonName, 'subcloud:gare-de-lyon-é');
});

test('openssl reads the request and verifies its signature', (t) => {
  let out: string;
  try {
    out = execFileSync('openssl', ['req', '-noout', '-verify', '-subject'], { input: certificateRequest(newPrivateKeyPem(), 'host:worker-1'), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return t.skip('openssl is not installed');
    throw err;
  }
  assert.match(out, /subject=CN\s?=\s?host:worker-1/);
});

test('a request whose signed part was changed is refused', async () => {
  const der = Buffer.from(pemToDer(certificateRequest(newPrivateKeyPem(), 'host:worker-0')));
  // The last byte of the common name, inside the signed part.
  const at = der.indexOf(Buffer.from('worker-0')) + 7;
  der[at] = '9'.charCodeAt(0);
  await assert.rejects(readCsr(pemBlock('CERTIFICATE REQUEST', der)), /not signed by its own key/);
});

test('text that is not a request is refused with the reason', async () => {
  await assert.rejects(readCsr('hello'), /not a PEM PKCS#10 certificate request/);
});

test('a key that is not a point on P-256 is refused as such', async () => {
  const key = newPrivateKeyPem();
  const der = Buffer.from(pemToDer(certificateRequest(key, 'host:worker-0')));
  // The last byte of the public point's y coordinate: the point leaves the curve.
  const point = createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(-65);
  const at = der.indexOf(point) + 64;
  der[at] = der[at]! ^ 0x01;
  await assert.rejects(readCsr(pemBlock('CERTIFICATE REQUEST', der)), /not a point on P-256/);
});

test('a request whose key is a compressed point (openssl -conv_form compressed) is read and verified', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'starling-csr-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key.pem');
  let csr: string;
  try {
    execFileSync('openssl', ['ec', '-conv_form', 'compressed', '-out', keyFile], { input: newPrivateKeyPem(), stdio: ['pipe', 'pipe', 'pipe'] });
    csr = execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', '/CN=host:worker-2'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return t.skip('openssl is not installed');
    throw err;
  }
  return readCsr(csr).then((read) => {
    assert.equal(read.commonName, 'host:worker-2');
    assert.equal(read.spki.length, 59, 'the compressed point is kept as sent');
  });
});
