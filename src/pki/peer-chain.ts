/**
 * What a TLS server presents, read before trusting it: the certificate
 * chain of its handshake. Nothing is sent but the TLS hello, so it is safe
 * against any server; the caller decides whether to trust what it saw
 * (pin a fingerprint, or ask the operator).
 */
import { connect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { fingerprintOfDer } from './fingerprint.js';

export interface PresentedCertificate {
  pem: string;
  fingerprint: string;
  subject: string;
}

const toPem = (der: Buffer): string => `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

const subjectOf = (cert: PeerCertificate): string =>
  Object.entries(cert.subject ?? {})
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');

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
      let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (cert?.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        chain.push({ pem: toPem(cert.raw), fingerprint: fingerprintOfDer(cert.raw), subject: subjectOf(cert) });
        cert = cert.issuerCertificate;
      }
      socket.end();
      resolve(chain);
    });
    socket.once('timeout', () => socket.destroy(new Error(`no TLS handshake from ${target.host} within ${timeoutMs} ms`)));
    socket.once('error', (err) => reject(err));
  });
}
