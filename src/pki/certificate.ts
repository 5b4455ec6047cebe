/** Reading certificates: PEM chains, and the fields `certificate list` shows. */
import { fingerprintOfDer } from './fingerprint.js';
import { x509 } from './x509.js';

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

/** Every certificate in a PEM text, in order (leaf first for a chain). */
export function splitPemChain(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

/** Parses one PEM certificate; throws a plain Error saying it is not one. */
export function parseCertificate(pem: string): x509.X509Certificate {
  try {
    return new x509.X509Certificate(pem);
  } catch (err) {
    throw new Error(`not a PEM X.509 certificate: ${(err as Error).message}`, { cause: err });
  }
}

/** DNS names and IP addresses of a subject alternative name extension (of a certificate or a request). */
export function sanNames(ext: x509.SubjectAlternativeNameExtension | null | undefined): string[] {
  return ext ? ext.names.items.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value) : [];
}

export function describeCertificate(pem: string): CertificateInfo {
  const cert = parseCertificate(pem);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serialNumber,
    not_before: cert.notBefore.getTime(),
    not_after: cert.notAfter.getTime(),
    sans: sanNames(cert.getExtension(x509.SubjectAlternativeNameExtension)),
    is_ca: cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
    fingerprint: fingerprintOfDer(cert.rawData),
  };
}

/** The common name of a distinguished name ("CN=host:worker-0, O=Starling" → "host:worker-0"). */
export function commonNameOf(dn: string): string | undefined {
  return new x509.Name(dn).getField('CN')[0];
}
