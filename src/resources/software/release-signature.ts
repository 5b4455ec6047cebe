/**
 * ed25519 signatures over a release's metadata (Node's crypto; keys in PEM).
 * A key is named by its id: the first 16 hex digits of the sha256 of its
 * public key (DER), so `software trust list` and a bundle's `release.sig`
 * can be compared by eye.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { InputError } from '../../core/errors.js';

export interface ReleaseSignature {
  key_id: string;
  /** base64 ed25519 signature of release.json's exact bytes. */
  signature: string;
}

export interface TrustedKey {
  key_id: string;
  public_key: string;
}

export function generateReleaseKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export const keyIdOf = (key: KeyObject): string => createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);

/** Parses an ed25519 public key (PEM), or throws naming the field. */
export function parsePublicKey(pem: string, field = 'public_key'): { key: KeyObject; key_id: string; pem: string } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new InputError(`${field}: not a PEM public key (-----BEGIN PUBLIC KEY----- ...)`, field);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InputError(`${field}: an ${key.asymmetricKeyType} key; release keys are ed25519 ("starling release keygen")`, field);
  return { key, key_id: keyIdOf(key), pem: key.export({ type: 'spki', format: 'pem' }).toString() };
}

export function signRelease(metadata: Buffer, privatePem: string): ReleaseSignature {
  let key: KeyObject;
  try {
    key = createPrivateKey(privatePem);
  } catch {
    throw new InputError('key: not a PEM private key (-----BEGIN PRIVATE KEY----- ...)', 'key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InputError(`key: an ${key.asymmetricKeyType} key; release keys are ed25519 ("starling release keygen")`, 'key');
  return { key_id: keyIdOf(createPublicKey(key)), signature: sign(null, metadata, key).toString('base64') };
}

/** Throws InputError saying why the metadata's signature is not acceptable here. */
export function verifyRelease(metadata: Buffer, raw: unknown, trusted: TrustedKey[]): ReleaseSignature {
  const sig = raw as Partial<ReleaseSignature> | undefined;
  if (!sig || typeof sig.key_id !== 'string' || typeof sig.signature !== 'string') throw new InputError('release.sig: the bundle is not signed (sign it with "starling release build --key")', 'release.sig');
  const key = trusted.find((k) => k.key_id === sig.key_id);
  if (!key) {
    const known = trusted.length ? trusted.map((k) => k.key_id).join(', ') : 'none';
    throw new InputError(`release.sig: signed with key ${sig.key_id}, which this system does not trust (trusted: ${known}; "starling software trust add")`, 'release.sig');
  }
  const ok = verify(null, metadata, createPublicKey(key.public_key), Buffer.from(sig.signature, 'base64'));
  if (!ok) throw new InputError(`release.sig: the signature does not match release.json: the metadata was changed after signing, or signed with another key than ${sig.key_id}`, 'release.sig');
  return { key_id: sig.key_id, signature: sig.signature };
}
