/**
 * A child's side of enrolling over TLS (a host agent with its site
 * controller, a subcloud with its system controller): read the chain the
 * parent presents, find in it the CA the enroll token pins, and only then
 * make a key pair and a certificate request to send with the token. A
 * parent that does not present the pinned CA gets nothing: not the token,
 * not a request.
 */
import type { TLSSocket } from 'node:tls';
import { parseEnrollToken } from '../protocol/enroll-token.js';
import { certificateRequest, newPrivateKeyPem } from './csr-writer.js';
import { pinnedConnection } from './pinned-connection.js';

export { clientTlsOptions, type ClientTls } from './client-tls.js';

export interface PreparedEnrollment {
  /** The token's secret, to send. */
  secret: string;
  /** The pinned CA and this child's new key (no certificate yet); absent for a plain-HTTP parent. */
  tls?: { ca: string; key: string };
  /** The certificate request to send. */
  csr?: string;
  /** The verified connection to send the token on (one handshake for the whole enrollment); absent for plain HTTP. */
  connection?: TLSSocket;
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
  const { socket, caPem } = await pinnedConnection(url, caFingerprint, timeoutMs);
  try {
    const made = key ?? (await enrollmentKey(commonName));
    return { secret, tls: { ca: caPem, key: made.privateKeyPem }, csr: made.csr, connection: socket };
  } catch (err) {
    socket.destroy();
    throw err;
  }
}
