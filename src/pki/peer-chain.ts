/**
 * What a TLS server presents, read before trusting it: the certificate
 * chain of its handshake. Nothing is sent but the TLS hello, so it is safe
 * against any server; the caller decides whether to trust what it saw
 * (pin a fingerprint, or ask the operator).
 */
import type { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { isIP } from 'node:net';
import { fingerprintOfDer } from './fingerprint.js';
import { pemBlock } from './pem.js';

export interface PresentedCertificate {
  pem: string;
  fingerprint: string;
  subject: string;
}

/** node's multi-line distinguished name ("CN=a\nO=b") as one line. */
const subjectOf = (cert: X509Certificate): string => cert.subject.split('\n').join(', ');

/** The chain the server at `url` presents, leaf first; the last one is the top it sent (its CA when it sends one). */
export function presentedChain(url: string, timeoutMs: number): Promise<PresentedCertificate[]> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(target.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      // Read only: nothing is trusted or sent on this connection.
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const chain: PresentedCertificate[] = [];
      const seen = new Set<string>();
      // Walked as node's X509Certificate objects, not getPeerCertificate(true):
      // that one turns every field of every certificate into JavaScript first.
      let cert: X509Certificate | undefined = socket.getPeerX509Certificate();
      while (cert) {
        const fingerprint = fingerprintOfDer(cert.raw);
        if (seen.has(fingerprint)) break;
        seen.add(fingerprint);
        chain.push({ pem: pemBlock('CERTIFICATE', cert.raw), fingerprint, subject: subjectOf(cert) });
        cert = cert.issuerCertificate;
      }
      socket.end();
      resolve(chain);
    });
    socket.once('timeout', () => socket.destroy(new Error(`no TLS handshake from ${target.host} within ${timeoutMs} ms`)));
    socket.once('error', (err) => reject(err));
  });
}
