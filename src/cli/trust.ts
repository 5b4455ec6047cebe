/**
 * How the CLI trusts a controller over HTTPS: the CA given with --ca-file
 * (or STARLING_CA_FILE), or on first use the CA the controller presents,
 * shown by fingerprint and accepted by the operator (as ssh does with host
 * keys). The CA is stored with the login; later a certificate that does not
 * chain to it is refused with a message saying so, never accepted quietly.
 */
import { readFileSync } from 'node:fs';
import { durations } from '../core/durations.js';
import { splitPemChain } from '../pki/pem.js';
import { displayFingerprint, fingerprintOf } from '../pki/fingerprint.js';
import { presentedChain } from '../pki/peer-chain.js';
import { CERTIFICATE_REFUSAL_CODES } from '../pki/verify-errors.js';
import { CliError } from './errors.js';

/** Reads a CA file (PEM); every certificate in it is trusted. */
export function readCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`--ca-file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const certs = splitPemChain(text);
  if (!certs.length) throw new CliError(`--ca-file ${path}: no PEM certificate in it`);
  return certs.join('');
}

/** Asks a question and returns the answer; absent when nobody can answer (no terminal). */
export type Ask = (question: string) => Promise<string | undefined>;

/** On first use: the CA the controller presents, trusted only if the operator says yes. */
export async function trustOnFirstUse(url: string, ask: Ask | undefined, tell: (line: string) => void): Promise<string> {
  let chain;
  try {
    chain = await presentedChain(url, durations.cliRequestTimeoutMs);
  } catch (err) {
    throw new CliError(`cannot reach ${url}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const top = chain[chain.length - 1];
  if (!top) throw new CliError(`${url} presented no certificate`);
  const fingerprint = displayFingerprint(top.fingerprint);
  tell(`The controller at ${url} presents a certificate issued by\n  ${top.subject}\n  ${fingerprint}`);
  const answer = await ask?.('Trust this CA for this login? [y/N] ');
  if (answer === undefined) {
    throw new CliError(`cannot ask whether to trust ${fingerprint}: give --ca-file FILE (the controller prints its CA file at start; or STARLING_CA_FILE)`);
  }
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(`not trusted: ${fingerprint}; nothing was sent to ${url}`);
  return top.pem;
}

/** A refused certificate, said plainly; undefined for other failures. */
export function explainCertificateRefusal(url: string, code: string | undefined, ca: string | undefined): string | undefined {
  if (!code || !CERTIFICATE_REFUSAL_CODES.has(code)) return undefined;
  const pinned = ca ? ` (${splitPemChain(ca).map((c) => displayFingerprint(fingerprintOf(c))).join(', ')})` : '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${url}: the controller's certificate does not name this address (${code}); use an address it names, or add one with "serve --tls-san"`;
  if (code === 'CERT_HAS_EXPIRED') return `${url}: the controller's certificate has expired (${code}); renew it on the controller ("starling certificate renew")`;
  if (!ca) return `${url}: the controller's certificate is not trusted (${code}); log in with --ca-file FILE, or set STARLING_CA_FILE`;
  return `${url}: the controller's certificate does not chain to the CA trusted at login${pinned} (${code}): it was replaced, or something is in the middle of the link. Nothing was sent. If the controller's CA really changed, log in again with --ca-file`;
}
