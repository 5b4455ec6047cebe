/** Reading certificates: PEM chains, and the fields `certificate list` shows. */
import { X509Certificate } from 'node:crypto';
import { fingerprintOfDer } from './fingerprint.js';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serial: string;
  /** epoch ms */
  not_before: number;
  /** epoch ms */
  not_after: number;
  /** DNS names and IP addresses. */
  sans: string[];
  is_ca: boolean;
  /** sha256 of the DER, hex. */
  fingerprint: string;
}

export { splitPemChain } from './pem.js';

/** node's multi-line distinguished name ("CN=a\nO=b") as one line ("CN=a, O=b"). */
const oneLine = (dn: string): string => dn.split('\n').join(', ');

/**
 * The listed fields, read with node's native X.509 parser: this runs for
 * every certificate issued (10,000 at a fleet's enrollment), where the
 * JavaScript ASN.1 parser costs ten times more.
 */
export function describeCertificate(pem: string): CertificateInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    throw new Error(`not a PEM X.509 certificate: ${(err as Error).message}`, { cause: err });
  }
  const sans = (cert.subjectAltName ?? '')
    .split(', ')
    .map((entry) => /^(?:DNS|IP Address):(.+)$/.exec(entry)?.[1])
    .filter((name): name is string => name !== undefined);
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    serial: cert.serialNumber.toLowerCase(),
    not_before: Date.parse(cert.validFrom),
    not_after: Date.parse(cert.validTo),
    sans,
    is_ca: cert.ca,
    fingerprint: fingerprintOfDer(cert.raw),
  };
}
