/**
 * A child's first connection to its parent, trusted through the enroll
 * token's pin alone: the chain the parent presents is read, the pinned CA
 * is found in it, and the chain from the server's certificate up to that CA
 * is verified here (issuer names, signatures, validity, CA flags, and that
 * the certificate names the address dialled). Only then is the connection
 * handed on, to carry the token.
 *
 * One handshake: reading the chain and then connecting again with the CA
 * pinned took two, and handshakes were most of a fleet's enrollment CPU.
 */
import type { X509Certificate } from 'node:crypto';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import { displayFingerprint, fingerprintOfDer } from './fingerprint.js';
import { openUntrusted } from './peer-chain.js';
import { pemBlock } from './pem.js';

/** The parent presented no certificate from the CA the token pins: someone else is answering at that address. */
export class PinMismatchError extends Error {
  constructor(url: string, pinned: string, presented: string[]) {
    super(
      `refusing ${url}: it presented no certificate from the CA the enroll token pins (${displayFingerprint(pinned)}); ` +
        `it presented ${presented.map(displayFingerprint).join(', ') || 'none'}. Nothing was sent. ` +
        "Check the address, or a machine in the middle of the link; issue a new token if the controller's CA changed.",
    );
    this.name = 'PinMismatchError';
  }
}

/** The pinned CA was presented, but the server's certificate does not chain to it: refused, nothing sent. */
export class PinnedChainError extends Error {
  constructor(url: string, reason: string) {
    super(`refusing ${url}: its certificate does not chain to the CA the enroll token pins (${reason}). Nothing was sent. Check for a machine in the middle of the link.`);
    this.name = 'PinnedChainError';
  }
}

export interface PinnedConnection {
  /** Open, verified, nothing sent yet: the caller sends on it or ends it. */
  socket: TLSSocket;
  /** The pinned CA (PEM), to trust on later connections. */
  caPem: string;
}

/** Why `chain[0]` does not chain to `chain[anchor]` for `host` at `now`, or undefined when it does. */
export function chainFault(chain: X509Certificate[], anchor: number, host: string, now: number): string | undefined {
  for (let i = 0; i <= anchor; i++) {
    const cert = chain[i]!;
    const what = i === 0 ? 'the server certificate' : `the CA certificate "${cert.subject.split('\n').join(', ')}"`;
    if (now < Date.parse(cert.validFrom)) return `${what} is not valid until ${cert.validFrom}`;
    if (now > Date.parse(cert.validTo)) return `${what} expired on ${cert.validTo}`;
    if (i === anchor) break;
    const issuer = chain[i + 1]!;
    if (!issuer.ca) return `the certificate "${issuer.subject.split('\n').join(', ')}" above ${what} is not a CA`;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return `${what} is not signed by the certificate above it`;
  }
  const nameError = checkServerIdentity(host, chain[0]!.toLegacyObject());
  return nameError ? `the server certificate does not name ${host}` : undefined;
}

/** Connects to `url` and keeps the connection only if its chain leads to the CA with sha256 `caFingerprint`. */
export async function pinnedConnection(url: string, caFingerprint: string, timeoutMs: number, now = Date.now()): Promise<PinnedConnection> {
  const { socket, host, chain } = await openUntrusted(url, timeoutMs);
  const fingerprints = chain.map((c) => fingerprintOfDer(c.raw));
  const anchor = fingerprints.indexOf(caFingerprint);
  const fault = anchor < 0 ? undefined : chainFault(chain, anchor, host, now);
  if (anchor < 0 || fault) {
    socket.destroy();
    throw anchor < 0 ? new PinMismatchError(url, caFingerprint, fingerprints) : new PinnedChainError(url, fault!);
  }
  return { socket, caPem: pemBlock('CERTIFICATE', chain[anchor]!.raw) };
}
