/**
 * The X.509 library (@peculiar/x509 over node's WebCrypto), loaded once.
 * It resolves its ASN.1 serializers through tsyringe, which needs the
 * Reflect metadata polyfill before the library's module body runs: ESM
 * evaluates imports in order, so the polyfill is imported first here and
 * every other module imports x509 from this file.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;

/**
 * ECDSA P-256 with SHA-256 for every key Starling makes: a handshake costs a
 * fraction of RSA-2048's, which matters when 10,000 sites reconnect at once,
 * and StarlingX moved its DC issuers to ECDSA in 26.10.
 */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
