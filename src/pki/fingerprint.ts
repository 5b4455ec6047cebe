/**
 * Certificate fingerprints: sha256 of the DER, as hex. Shown to people as
 * `sha256:<hex>`; carried in enroll tokens so that a child can pin its
 * parent's CA before it sends anything secret (kubeadm's
 * --discovery-token-ca-cert-hash does the same).
 */
import { createHash } from 'node:crypto';
import { pemToDer, splitPemChain } from './pem.js';

export function fingerprintOfDer(der: ArrayBuffer | Uint8Array): string {
  return createHash('sha256').update(der instanceof Uint8Array ? der : new Uint8Array(der)).digest('hex');
}

/** The fingerprint of the first certificate in a PEM text. */
export function fingerprintOf(pem: string): string {
  const first = splitPemChain(pem)[0];
  if (!first) throw new Error('no PEM certificate');
  return fingerprintOfDer(pemToDer(first));
}

export const displayFingerprint = (hex: string): string => `sha256:${hex}`;
