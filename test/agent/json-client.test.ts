/**
 * The agent's and the subcloud's HTTP client over TLS, against a real
 * HTTPS server: after a cut link (a connection reset) the next connection
 * resumes the TLS session instead of making a full handshake, which is what
 * keeps a fleet's reconnect storm cheap on both ends.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { JsonClient } from '../../src/agent/http.js';
import { issueCertificate } from '../../src/pki/issue.js';
import { generateKeyPair } from '../../src/pki/keys.js';

test('a connection reset does not cost the session: the next connection resumes it', async (t) => {
  const now = Date.now();
  const caKeys = await generateKeyPair();
  const ca = await issueCertificate({ subjectKeys: caKeys.keys, subject: 'CN=root', usage: 'ca', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
  const keys = await generateKeyPair();
  const cert = await issueCertificate({ issuer: { certPem: ca, key: caKeys.keys.privateKey }, subjectKeys: keys.keys, subject: 'CN=api', sans: ['127.0.0.1'], usage: 'server', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });

  const handshakes: Array<'full' | 'resumed'> = [];
  const server = https.createServer({ key: keys.privateKeyPem, cert: cert + ca }, (_req, res) => res.setHeader('content-type', 'application/json').end('{"ok":true}'));
  server.on('secureConnection', (socket: TLSSocket) => {
    handshakes.push(socket.isSessionReused() ? 'resumed' : 'full');
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The link: a TCP relay whose client side can be reset, as a cut does.
  const links = new Set<net.Socket>();
  const relay = net.createServer((near) => {
    const far = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    links.add(near);
    for (const s of [near, far]) s.on('error', () => (s === near ? far : near).destroy());
    near.pipe(far).pipe(near);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const client = new JsonClient(`https://127.0.0.1:${(relay.address() as AddressInfo).port}`, { ca });
  t.after(async () => {
    client.close();
    for (const s of links) s.destroy();
    server.closeAllConnections();
    await Promise.all([relay, server].map((srv) => new Promise((resolve) => srv.close(resolve))));
  });

  assert.deepEqual(await client.post('/report', {}, { timeoutMs: 5_000 }), { ok: true });
  // The link is cut: the kept-alive connection is reset under the client.
  for (const s of links) s.resetAndDestroy();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(await client.post('/report', {}, { timeoutMs: 5_000 }), { ok: true });
  assert.deepEqual(handshakes, ['full', 'resumed']);
});
