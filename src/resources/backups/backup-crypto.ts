/**
 * The secrets of a backup (private keys, the session-signing key, a
 * subcloud's credential) sealed with the operator's passphrase: a key from
 * scrypt, AES-256-GCM. The manifest's digest is the GCM's additional data,
 * so the passphrase also proves the manifest is the one the backup wrote,
 * and a wrong passphrase and a doctored manifest are both refused, never
 * half-read.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/** scrypt cost (2^15, r 8: ~32 MiB and ~100 ms), well above the 2^14 floor OWASP gives for interactive use. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export interface SealedSecrets {
  kdf: 'scrypt';
  n: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

export class PassphraseError extends Error {}

function keyFrom(passphrase: string, salt: Buffer, params: { n: number; r: number; p: number }): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { N: params.n, r: params.r, p: params.p, maxmem: SCRYPT.maxmem });
}

export function sealSecrets(plain: unknown, passphrase: string, aad: string): SealedSecrets {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = keyFrom(passphrase, salt, { n: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
  return { kdf: 'scrypt', n: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
}

/** Throws PassphraseError when the passphrase is wrong or the sealed part or the manifest was altered. */
export function openSecrets<T>(sealed: SealedSecrets, passphrase: string, aad: string): T {
  if (sealed.kdf !== 'scrypt' || !(sealed.n > 1 && sealed.n <= 1 << 20) || !(sealed.r >= 1 && sealed.r <= 32) || !(sealed.p >= 1 && sealed.p <= 16)) {
    throw new PassphraseError('the secrets part names a key derivation this version does not read');
  }
  const key = keyFrom(passphrase, Buffer.from(sealed.salt, 'base64'), sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as T;
  } catch {
    throw new PassphraseError('wrong passphrase, or the archive was altered: its secrets cannot be opened');
  }
}
