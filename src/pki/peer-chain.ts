/**
 * What a TLS server presents, read before trusting it: the certificate
 * chain of its handshake. Nothing is sent but the TLS hello, so it is safe
 * against any server; the caller decides whether to trust what it saw
 * (pin a fingerprint, or ask the operator).
 */
import type { X509Certificate } from 'node:crypto';
import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { fingerprintOfDer } from './fingerprint.js';
import { pemBlock } from './pem.js';

export interface PresentedCertificate {
  pem: string;
  fingerprint: string;
  subject: string;
}

/** An open TLS connection nothing has been sent on yet, and the chain its server presented, leaf first. */
export interface UntrustedConnection {
  socket: TLSSocket;
  /** The server's name or address, as the certificate must name it. */
  host: string;
  chain: X509Certificate[];
}

/** node's multi-line distinguished name ("CN=a\nO=b") as one line. */
const subjectOf = (cert: X509Certificate): string => cert.subject.split('\n').join(', ');

/**
 * One context for every untrusted connection: it trusts nothing and holds no
 * key, and tls.connect would otherwise make a new one per connection (0.4 ms
 * of CPU each on node 20, at every enrollment of a fleet's 10,000).
 */
let untrustedContext: SecureContext | undefined;

/** Connects to `url` without trusting it and reads the chain its server presents; the caller owns the socket. */
export function openUntrusted(url: string, timeoutMs: number): Promise<UntrustedConnection> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(target.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      secureContext: (untrustedContext ??= createSecureContext()),
      // Read only until the caller has decided: nothing is trusted or sent yet.
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const onTimeout = () => socket.destroy(new Error(`no TLS handshake from ${target.host} within ${timeoutMs} ms`));
    socket.once('secureConnect', () => {
      socket.off('timeout', onTimeout).off('error', reject);
      socket.setTimeout(0);
      // Until the caller writes or ends it, an error (the server hung up) must not crash the process; a write
      // after that fails for whoever makes it.
      socket.on('error', () => undefined);
      const chain: X509Certificate[] = [];
      const seen = new Set<string>();
      // Walked as node's X509Certificate objects, not getPeerCertificate(true):
      // that one turns every field of every certificate into JavaScript first.
      let cert: X509Certificate | undefined = socket.getPeerX509Certificate();
      while (cert) {
        const fingerprint = fingerprintOfDer(cert.raw);
        if (seen.has(fingerprint)) break;
        seen.add(fingerprint);
        chain.push(cert);
        cert = cert.issuerCertificate;
      }
      resolve({ socket, host, chain });
    });
    socket.once('timeout', onTimeout);
    socket.once('error', reject);
  });
}

/** The chain the server at `url` presents, leaf first; the last one is the top it sent (its CA when it sends one). */
export async function presentedChain(url: string, timeoutMs: number): Promise<PresentedCertificate[]> {
  const { socket, chain } = await openUntrusted(url, timeoutMs);
  socket.end();
  return chain.map((cert) => ({ pem: pemBlock('CERTIFICATE', cert.raw), fingerprint: fingerprintOfDer(cert.raw), subject: subjectOf(cert) }));
}
