/**
 * A child's certificate request (PKCS#10), written with node's crypto and a
 * few DER constructions instead of the X.509 library: a host agent makes one
 * at enrollment and at each renewal, and the library would stay in its
 * resident memory (about 14 MB, which bench:site's idle agent measures) for
 * the rest of its life. The parent reads requests with the full ASN.1 schema
 * (csr.ts), so a request this writes is checked by an independent parser.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { derBitString, derSequence, derSet, derUtf8 } from './der.js';
import { pemBlock } from './pem.js';

const VERSION_1 = Uint8Array.of(0x02, 0x01, 0x00);
/** id-at-commonName (2.5.4.3). */
const COMMON_NAME = Uint8Array.of(0x06, 0x03, 0x55, 0x04, 0x03);
/** No attributes: [0] IMPLICIT SET OF Attribute, empty. */
const NO_ATTRIBUTES = Uint8Array.of(0xa0, 0x00);
/** AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), no parameters. */
const ECDSA_WITH_SHA256 = Uint8Array.of(0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);

/** A new ECDSA P-256 private key, PKCS#8 PEM (what node's tls takes as `key`). */
export function newPrivateKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A request for the key's certificate; without a common name the parent names the subject (a subcloud does not know its name before it enrolls). */
export function certificateRequest(privateKeyPem: string, commonName?: string): string {
  const key = createPrivateKey(privateKeyPem);
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const subject = commonName === undefined ? derSequence() : derSequence(derSet(derSequence(COMMON_NAME, derUtf8(commonName))));
  const info = derSequence(VERSION_1, subject, spki, NO_ATTRIBUTES);
  const signature = sign('sha256', info, { key, dsaEncoding: 'der' });
  return pemBlock('CERTIFICATE REQUEST', derSequence(info, ECDSA_WITH_SHA256, derBitString(signature)));
}
