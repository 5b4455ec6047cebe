/**
 * A child's first connection to its parent, trusted by the enroll token's
 * pin alone (src/pki/pinned-connection.ts): a real TLS server, real
 * certificates from the product's issuer. The chain check is also tested on
 * chains made by hand that no TLS stack would build: a leaf signed by
 * someone else presented under the real CA, an expired leaf, a leaf that
 * names another address, a leaf posing as an intermediate.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { JsonClient } from '../../src/agent/http.js';
import { fingerprintOf } from '../../src/pki/fingerprint.js';
import { issueCertificate } from '../../src/pki/issue.js';
import { generateKeyPair, type KeyPair } from '../../src/pki/keys.js';
import { chainFault, PinMismatchError, pinnedConnection } from '../../src/pki/pinned-connection.js';

const DAY = 86_400_000;
const now = Date.now();

async function ca(subject: string): Promise<{ pem: string; keys: KeyPair }> {
  const keys = await generateKeyPair();
  return { keys, pem: await issueCertificate({ subjectKeys: keys.keys, subject, usage: 'ca', notBefore: new Date(now - DAY), notAfter: new Date(now + DAY) }) };
}

async function leaf(issuer: { pem: string; keys: KeyPair }, options: { sans?: string[]; notAfter?: Date; usage?: 'server' | 'client' } = {}) {
  const keys = await generateKeyPair();
  const pem = await issueCertificate({
    issuer: { certPem: issuer.pem, key: issuer.keys.keys.privateKey },
    subjectKeys: keys.keys,
    subject: 'CN=starling API',
    sans: options.sans ?? ['127.0.0.1', 'localhost'],
    usage: options.usage ?? 'server',
    notBefore: new Date(now - DAY),
    notAfter: options.notAfter ?? new Date(now + DAY),
  });
  return { pem, keys };
}

/** A TLS server presenting `chain`; it answers any HTTP request with `{"ok":true}` and counts the plaintext bytes it received. */
async function server(key: string, chain: string) {
  const seen = { plaintextBytes: 0 };
  const srv = tls.createServer({ key, cert: chain }, (socket) => {
    socket.on('data', (chunk: Buffer) => {
      seen.plaintextBytes += chunk.length;
      if (chunk.includes('\r\n\r\n')) socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{"ok":true}');
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
}

test('the pinned CA in a chain that verifies: one connection, and the token goes out on it', async (t) => {
  const root = await ca('CN=fleet root CA');
  const api = await leaf(root);
  const srv = await server(api.keys.privateKeyPem, api.pem + root.pem);
  t.after(srv.close);
  const pinned = await pinnedConnection(srv.url, fingerprintOf(root.pem), 5_000);
  assert.equal(fingerprintOf(pinned.caPem), fingerprintOf(root.pem));
  assert.equal(srv.seen.plaintextBytes, 0, 'nothing is sent before the caller sends');
  const client = new JsonClient(srv.url, { ca: pinned.caPem }, pinned.socket);
  try {
    assert.deepEqual(await client.post('/api/v1/dc/enroll', { token: 't' }, { timeoutMs: 5_000 }), { ok: true });
  } finally {
    client.close();
  }
  assert.ok(srv.seen.plaintextBytes > 0);
});

test('a server that does not present the pinned CA is refused before anything is sent', async (t) => {
  const root = await ca('CN=fleet root CA');
  const mallory = await ca('CN=mallory CA');
  const forged = await leaf(mallory);
  const srv = await server(forged.keys.privateKeyPem, forged.pem + mallory.pem);
  t.after(srv.close);
  await assert.rejects(pinnedConnection(srv.url, fingerprintOf(root.pem), 5_000), (err: Error) => {
    assert.ok(err instanceof PinMismatchError);
    assert.match(err.message, /presented no certificate from the CA the enroll token pins.*Nothing was sent/);
    return true;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(srv.seen.plaintextBytes, 0);
});

test('the chain check: a leaf signed by another key under the real CA, expired, naming another address, or posing as a CA is refused', async () => {
  const root = await ca('CN=fleet root CA');
  const x = (pem: string) => new X509Certificate(pem);
  const good = await leaf(root);
  assert.equal(chainFault([x(good.pem), x(root.pem)], 1, '127.0.0.1', now), undefined);
  assert.equal(chainFault([x(good.pem), x(root.pem)], 1, 'localhost', now), undefined);

  // The real CA's certificate is public: a forger can present it above a leaf its own CA of the same name signed.
  const twin = await ca('CN=fleet root CA');
  const forged = await leaf(twin);
  assert.match(chainFault([x(forged.pem), x(root.pem)], 1, '127.0.0.1', now)!, /server certificate is not signed by the certificate above it/);

  const expired = await leaf(root, { notAfter: new Date(now - 1_000) });
  assert.match(chainFault([x(expired.pem), x(root.pem)], 1, '127.0.0.1', now)!, /server certificate expired/);
  assert.match(chainFault([x(good.pem), x(root.pem)], 1, '127.0.0.1', now + 2 * DAY)!, /expired/);

  assert.match(chainFault([x(good.pem), x(root.pem)], 1, '10.0.0.9', now)!, /does not name 10\.0\.0\.9/);

  // A leaf of the real CA used to sign another leaf: it verifies as a signature, but it is no CA.
  const posing = await leaf(root, { usage: 'client' });
  const below = await leaf({ pem: posing.pem, keys: posing.keys });
  assert.match(chainFault([x(below.pem), x(posing.pem), x(root.pem)], 2, '127.0.0.1', now)!, /"CN=starling API" above the server certificate is not a CA/);
});
