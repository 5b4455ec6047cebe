/**
 * Issuing certificates: self-signed roots, intermediate CAs, server and
 * client leaves, each with the extensions its use needs and no more.
 */
import { createHash, randomBytes } from 'node:crypto';
import { parseCertificate } from './certificate.js';
import { EC_P256, subtle, x509, type CryptoKey } from './x509.js';

/**
 * - `ca`: may sign certificates (a fleet root, a platform CA, a subcloud's ICA);
 * - `server`: a controller's API (TLS server auth, with SANs);
 * - `client`: an agent's or a subcloud's identity on its uplink (TLS client auth).
 */
export type CertificateUsage = 'ca' | 'server' | 'client';

export interface Issuer {
  certPem: string;
  key: CryptoKey;
}

/** An issuer read once: its certificate and authority key identifier are the same for everything it signs. */
export interface LoadedIssuer {
  cert: x509.X509Certificate;
  key: CryptoKey;
  authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

/** The authority key identifier is the issuer's own subject key identifier: that is how a verifier finds the issuer. */
export async function loadIssuer(issuer: Issuer): Promise<LoadedIssuer> {
  const cert = parseCertificate(issuer.certPem);
  const own = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const authorityKeyId = own ? new x509.AuthorityKeyIdentifierExtension(own.keyId, false) : await x509.AuthorityKeyIdentifierExtension.create(cert.publicKey, false);
  return { cert, key: issuer.key, authorityKeyId };
}

/** The subject's public key: a WebCrypto key, or the key as a certificate request carries it. */
export type SubjectPublicKey = CryptoKey | x509.PublicKey;

/**
 * The key identifier: SHA-1 of the SubjectPublicKeyInfo DER (RFC 5280
 * allows any method that gives unique values; this one needs no ASN.1 walk).
 */
async function keyIdentifier(publicKey: SubjectPublicKey): Promise<x509.SubjectKeyIdentifierExtension> {
  const spki = publicKey instanceof x509.PublicKey ? publicKey.rawData : await subtle.exportKey('spki', publicKey);
  return new x509.SubjectKeyIdentifierExtension(createHash('sha1').update(new Uint8Array(spki)).digest('hex'));
}

export interface IssueRequest {
  /** Absent: self-signed (only for a root CA). A LoadedIssuer saves reading it again for each certificate. */
  issuer?: Issuer | LoadedIssuer;
  /** The subject's public key, and for a self-signed root its private key too. */
  subjectKeys: { publicKey: SubjectPublicKey; privateKey?: CryptoKey };
  /** Distinguished name, e.g. "CN=starling fleet root CA, O=Starling". */
  subject: string;
  /** DNS names and IP addresses (server certificates). */
  sans?: string[];
  usage: CertificateUsage;
  notBefore: Date;
  notAfter: Date;
  /** For a CA: how many CAs may stand below it (0: it signs only leaves). */
  pathLength?: number;
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

/** A positive 128-bit serial (RFC 5280 allows up to 20 octets). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function extensions(request: IssueRequest, keyId: x509.SubjectKeyIdentifierExtension, issuer?: LoadedIssuer): x509.Extension[] {
  const list: x509.Extension[] = [keyId];
  if (issuer) list.push(issuer.authorityKeyId);
  if (request.usage === 'ca') {
    list.push(new x509.BasicConstraintsExtension(true, request.pathLength, true));
    list.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true));
  } else {
    list.push(new x509.BasicConstraintsExtension(false, undefined, true));
    list.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true));
    list.push(new x509.ExtendedKeyUsageExtension([request.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]));
  }
  if (request.sans?.length) {
    list.push(new x509.SubjectAlternativeNameExtension(request.sans.map((value) => ({ type: IP.test(value) ? ('ip' as const) : ('dns' as const), value }))));
  }
  return list;
}

/** Issues a certificate; returns its PEM. */
export async function issueCertificate(request: IssueRequest): Promise<string> {
  const keyId = await keyIdentifier(request.subjectKeys.publicKey);
  if (!request.issuer) {
    if (request.usage !== 'ca' || !request.subjectKeys.privateKey) throw new Error('only a CA with its private key can be self-signed');
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: request.subject,
      issuer: request.subject,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      publicKey: request.subjectKeys.publicKey,
      signingKey: request.subjectKeys.privateKey,
      signingAlgorithm: EC_P256,
      extensions: extensions(request, keyId),
    });
    return cert.toString('pem') + '\n';
  }
  const issuer = 'cert' in request.issuer ? request.issuer : await loadIssuer(request.issuer);
  const issuerCert = issuer.cert;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: request.subject,
    issuer: issuerCert.subject,
    notBefore: request.notBefore,
    // Never beyond the issuer: a chain is only as long-lived as its CA.
    notAfter: new Date(Math.min(request.notAfter.getTime(), issuerCert.notAfter.getTime())),
    publicKey: request.subjectKeys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: EC_P256,
    extensions: extensions(request, keyId, issuer),
  });
  return cert.toString('pem') + '\n';
}
