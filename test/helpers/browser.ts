/**
 * Debian's chromium driven by playwright-core, for the dashboard's tests and
 * benchmark. The flags are the ones this machine needs (tooling.md): no
 * sandbox as root, no GPU, and no background networking (its connections
 * are refused here). Without chromium, tests skip saying why — except in CI,
 * where .ci/run installs it, so its absence is a failure.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.STARLING_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `no chromium at ${CHROMIUM} (apt-get install chromium, or set STARLING_CHROMIUM)`;
  if (process.env.CI) throw new Error(`${reason}: CI must run the browser tests`);
  return reason;
}

export interface LaunchOptions {
  /**
   * A controller's CA (PEM, its `<data-dir>/tls/ca.pem`) for the browser to
   * trust, as an operator imports it. Chromium has no per-process trust
   * store, so this pins the CA's key instead: a chain that carries a
   * certificate with that key is accepted, any other untrusted one still
   * fails. A controller presents its CA in its chain, so this trusts
   * exactly the certificates that CA issued.
   */
  trustCa?: string;
}

/** base64 of the sha256 of a certificate's SubjectPublicKeyInfo (DER): how chromium names a key to pin. */
export const spkiHash = (pem: string): string =>
  createHash('sha256')
    .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');

export function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(options.trustCa ? [`--ignore-certificate-errors-spki-list=${spkiHash(options.trustCa)}`] : []),
    ],
  });
}
