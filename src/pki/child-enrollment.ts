/**
 * A child's side of enrolling over TLS (a host agent with its site
 * controller, a subcloud with its system controller): read the chain the
 * parent presents, find in it the CA the enroll token pins, and only then
 * make a key pair and a certificate request to send with the token. A
 * parent that does not present the pinned CA gets nothing: not the token,
 * not a request.
 */
import { parseEnrollToken } from '../protocol/enroll-token.js';
import { certificateRequest, newPrivateKeyPem } from './csr-writer.js';
import { displayFingerprint } from './fingerprint.js';
import { presentedChain } from './peer-chain.js';

export { clientTlsOptions, type ClientTls } from './client-tls.js';

/** The parent presented no certificate from the CA the token pins: someone else is answering at that address. */
export class PinMismatchError extends Error {
  constructor(url: string, pinned: string, presented: string[]) {
    super(
      `refusing ${url}: it presented no certificate from the CA the enroll token pins (${displayFingerprint(pinned)}); ` +
        `it presented ${presented.map(displayFingerprint).join(', ') || 'none'}. Nothing was sent. ` +
        'Check the address, or a machine in the middle of the link; issue a new token if the controller\'s CA changed.',
    );
    this.name = 'PinMismatchError';
  }
}

export interface PreparedEnrollment {
  /** The token's secret, to send. */
  secret: string;
  /** The pinned CA and this child's new key (no certificate yet); absent for a plain-HTTP parent. */
  tls?: { ca: string; key: string };
  /** The certificate request to send. */
  csr?: string;
}

/** A key pair and a request for it, made ahead (the fleet simulator's virtual sites share one). */
export interface EnrollmentKey {
  privateKeyPem: string;
  csr: string;
}

export async function enrollmentKey(commonName?: string): Promise<EnrollmentKey> {
  const privateKeyPem = newPrivateKeyPem();
  return { privateKeyPem, csr: certificateRequest(privateKeyPem, commonName) };
}

export async function prepareEnrollment(url: string, token: string, commonName: string | undefined, timeoutMs: number, key?: EnrollmentKey): Promise<PreparedEnrollment> {
  const { secret, caFingerprint } = parseEnrollToken(token);
  if (new URL(url).protocol !== 'https:') return { secret };
  if (!caFingerprint) {
    throw new Error(`the enroll token carries no CA fingerprint, so ${url} cannot be verified: issue a new token (tokens from a controller that serves HTTPS end in ".<sha256 of its CA>")`);
  }
  const chain = await presentedChain(url, timeoutMs);
  const anchor = chain.find((c) => c.fingerprint === caFingerprint);
  if (!anchor) throw new PinMismatchError(url, caFingerprint, chain.map((c) => c.fingerprint));
  const made = key ?? (await enrollmentKey(commonName));
  return { secret, tls: { ca: anchor.pem, key: made.privateKeyPem }, csr: made.csr };
}
