/**
 * A machine in the middle: a TLS proxy with a certificate of its own (from
 * its own CA, naming 127.0.0.1 as the real controller's does) that
 * terminates each connection and forwards what it decrypts to the real
 * controller. It counts what a client sent it after the handshake: a child
 * that pins its parent's CA must refuse the handshake and send nothing.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { issueCertificate } from '../../src/pki/issue.js';
import { generateKeyPair } from '../../src/pki/keys.js';

export class MitmProxy {
  private server: tls.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Handshakes attempted, and plaintext bytes received from clients (must stay 0 against a pinning child). */
  readonly seen = { handshakes: 0, completed: 0, plaintextBytes: 0 };
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    const now = Date.now();
    const caKeys = await generateKeyPair();
    const ca = await issueCertificate({ subjectKeys: caKeys.keys, subject: 'CN=mallory CA', usage: 'ca', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) });
    const keys = await generateKeyPair();
    const cert = await issueCertificate({
      issuer: { certPem: ca, key: caKeys.keys.privateKey },
      subjectKeys: keys.keys,
      subject: 'CN=starling API',
      sans: ['127.0.0.1', 'localhost'],
      usage: 'server',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
    });
    this.server = tls.createServer({ key: keys.privateKeyPem, cert: cert + ca }, (client) => {
      this.seen.completed++;
      const upstream = tls.connect({ host: this.target.host, port: this.target.port, rejectUnauthorized: false });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.on('data', (chunk: Buffer) => (this.seen.plaintextBytes += chunk.length));
      client.pipe(upstream).pipe(client);
    });
    this.server.on('connection', (socket: net.Socket) => {
      this.seen.handshakes++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
