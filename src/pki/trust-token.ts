/**
 * A short name for a set of CA certificates: the same set gives the same
 * token however its PEM text is laid out or ordered, so a child and its
 * parent compare what they trust in 16 characters per report.
 */
import { createHash } from 'node:crypto';
import { fingerprintOf } from './fingerprint.js';
import { splitPemChain } from './pem.js';

export function trustTokenOf(pems: string | string[]): string {
  // The same CA text again (every virtual subcloud of a fleet simulator pins one): the token it gave.
  if (typeof pems === 'string' && last?.pems === pems) return last.token;
  const list = typeof pems === 'string' ? splitPemChain(pems) : pems.flatMap(splitPemChain);
  const fingerprints = [...new Set(list.map(fingerprintOf))].sort();
  const token = createHash('sha256').update(fingerprints.join(',')).digest('hex').slice(0, 16);
  if (typeof pems === 'string') last = { pems, token };
  return token;
}

let last: { pems: string; token: string } | undefined;
