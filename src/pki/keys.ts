/** Key pairs as Starling keeps them: PKCS#8 PEM text, never logged. */
import { EC_P256, subtle, x509, type CryptoKey, type CryptoKeyPair } from './x509.js';

export interface KeyPair {
  keys: CryptoKeyPair;
  /** The private key, PKCS#8 PEM: what node's tls takes as `key`. */
  privateKeyPem: string;
}

export async function generateKeyPair(): Promise<KeyPair> {
  const keys = (await subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  return { keys, privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

/** Reads a PKCS#8 PEM private key for signing; throws a plain Error naming what is wrong. */
export async function importSigningKey(pem: string): Promise<CryptoKey> {
  let der: ArrayBuffer;
  try {
    const blocks = x509.PemConverter.decodeWithHeaders(pem).filter((b) => b.type === 'PRIVATE KEY');
    if (!blocks.length) throw new Error('no "PRIVATE KEY" (PKCS#8) block');
    der = blocks[0]!.rawData;
  } catch (err) {
    throw new Error(`not a PKCS#8 PEM private key: ${(err as Error).message}`, { cause: err });
  }
  try {
    // Extractable: issue.ts signs with node's crypto through KeyObject.from, which node 24 deprecates for
    // non-extractable keys. The key is held as PEM text already; this adds no way out.
    return await subtle.importKey('pkcs8', der, EC_P256, true, ['sign']);
  } catch {
    throw new Error('not an ECDSA P-256 private key (Starling issues with P-256 keys)');
  }
}
