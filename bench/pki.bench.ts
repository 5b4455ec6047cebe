/**
 * What a system controller's PKI work costs per enrolling subcloud, in CPU:
 * issuing a client certificate (issue.ts), reading its certificate request
 * (csr.ts), and TLS handshakes in node on this machine (full, with a client
 * certificate, resumed), client and server in this one process.
 *
 *   npm run bench:pki
 *
 * No targets: these are the parts of bench:dc's enrollment and storm
 * figures, to see which part a change moves.
 */
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { readCsr } from '../src/pki/csr.js';
import { certificateRequest, newPrivateKeyPem } from '../src/pki/csr-writer.js';
import { issueCertificate, loadIssuer } from '../src/pki/issue.js';
import { generateKeyPair } from '../src/pki/keys.js';
import { subtle } from '../src/pki/x509.js';
import { printTable, type Row } from './lib/report.js';

/** CPU milliseconds per call of `work`, after a warm-up. */
async function cpuMsPer(n: number, work: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(300, n); i++) await work(i);
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await work(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
}

async function main(): Promise<void> {
  const now = Date.now();
  const ca = await generateKeyPair();
  const caPem = await issueCertificate({ subjectKeys: ca.keys, subject: 'CN=bench root, O=Starling', usage: 'ca', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
  const issuer = await loadIssuer({ certPem: caPem, key: ca.keys.privateKey });
  const leaf = await generateKeyPair();
  const spki = new Uint8Array(await subtle.exportKey('spki', leaf.keys.publicKey));
  const rows: Row[] = [];
  const row = (measure: string, value: number, note = '') => rows.push({ backend: 'this machine', measure, value, unit: 'ms CPU', note });

  row('issue a client certificate', await cpuMsPer(3000, (i) => issueCertificate({ issuer, subjectKeys: { publicKey: spki }, subject: `CN=subcloud:s${i}, O=Starling`, usage: 'client', notBefore: new Date(now), notAfter: new Date(now + 86_400_000) })));
  const csr = certificateRequest(newPrivateKeyPem());
  row('read and verify a certificate request', await cpuMsPer(3000, () => readCsr(csr)));

  // TLS: a server certificate from that CA, a client certificate for mutual TLS.
  const serverKeys = await generateKeyPair();
  const serverCert = await issueCertificate({ issuer, subjectKeys: serverKeys.keys, subject: 'CN=bench API', sans: ['127.0.0.1'], usage: 'server', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
  const clientCert = await issueCertificate({ issuer, subjectKeys: leaf.keys, subject: 'CN=subcloud:bench, O=Starling', usage: 'client', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
  for (const mtls of [false, true]) {
    const server = https.createServer({ key: serverKeys.privateKeyPem, cert: serverCert + caPem, ca: caPem, requestCert: mtls, rejectUnauthorized: false }, (_q, s) => s.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const context = createSecureContext({ ca: caPem, ...(mtls ? { cert: clientCert, key: leaf.privateKeyPem } : {}) });
    let session: Buffer | undefined;
    const handshake = (resume: boolean) =>
      new Promise<void>((resolve, reject) => {
        // secureContext and session reach tls.connect; node's types for https.request do not list them.
        const options = { host: '127.0.0.1', port, path: '/', agent: false, secureContext: context, ...(resume && session ? { session } : {}) } as https.RequestOptions;
        const q = https.request(options, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        q.on('socket', (s) => s.on('session', (b: Buffer) => (session = b)));
        q.on('error', reject);
        q.end();
      });
    const what = mtls ? 'with a client certificate (mutual TLS)' : 'server certificate only';
    row(`full TLS handshake and request, both ends: ${what}`, await cpuMsPer(1500, () => handshake(false)));
    row(`resumed TLS handshake and request, both ends: ${what}`, await cpuMsPer(1500, () => handshake(true)));
    server.close();
  }
  console.log(`Starling PKI benchmark (node ${process.versions.node}, OpenSSL ${process.versions.openssl})\n`);
  printTable(rows, 'Where');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
