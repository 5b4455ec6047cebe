/**
 * Issuing certificates: self-signed roots, intermediate CAs, server and
 * client leaves, each with the extensions its use needs and no more.
 *
 * Built with the ASN.1 schema types of @peculiar/asn1-x509 (the layer
 * under @peculiar/x509; no ASN.1 is written by hand here) and signed with
 * node's crypto, not with @peculiar/x509's generator: that one signs through
 * WebCrypto and parses back every certificate it makes, several times the
 * CPU, and a system controller signs one or two for each of 10,000
 * subclouds enrolling at once. The issuer's name and the extensions fixed
 * by use are made once.
 */
import { createHash, KeyObject, randomBytes, sign, type webcrypto } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { pemBlock, pemToDer } from './pem.js';
import { subtle, x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;

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

/** An issuer read once: what goes into everything it signs. */
export interface LoadedIssuer {
  /** Its subject, as encoded in its certificate: the issuer name of what it signs must match it exactly. */
  subject: asn.Name;
  notAfter: Date;
  /** Its subject key identifier: the authority key identifier of what it signs (how a verifier finds the issuer). */
  keyId: ArrayBuffer;
  /** Its public key, SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  key: KeyObject;
}

const ECDSA_WITH_SHA256 = new asn.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

export async function loadIssuer(issuer: Issuer): Promise<LoadedIssuer> {
  let cert: asn.Certificate;
  try {
    cert = AsnConvert.parse(pemToDer(issuer.certPem), asn.Certificate);
  } catch (err) {
    throw new Error(`not a PEM X.509 certificate: ${(err as Error).message}`, { cause: err });
  }
  const tbs = cert.tbsCertificate;
  const spki = new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo));
  const own = tbs.extensions?.find((e) => e.extnID === asn.id_ce_subjectKeyIdentifier);
  // A CA from elsewhere without a subject key identifier: the identifier its key would have had here.
  const keyId = own ? AsnConvert.parse(own.extnValue, asn.SubjectKeyIdentifier).buffer : keyIdentifier(spki);
  return { subject: tbs.subject, notAfter: tbs.validity.notAfter.getTime(), keyId, spki, key: KeyObject.from(issuer.key) };
}

/** The subject's public key: a WebCrypto key, or SubjectPublicKeyInfo DER (as a certificate request carries it). */
export type SubjectPublicKey = CryptoKey | Uint8Array;

/**
 * The key identifier: SHA-1 of the SubjectPublicKeyInfo DER (RFC 5280
 * allows any method that gives unique values; this one needs no ASN.1 walk).
 */
function keyIdentifier(spki: Uint8Array): ArrayBuffer {
  return toArrayBuffer(createHash('sha1').update(spki).digest());
}

export interface IssueRequest {
  /** Absent: self-signed (only for a root CA). A LoadedIssuer saves reading it again for each certificate. */
  issuer?: Issuer | LoadedIssuer;
  /** The subject's public key, and for a self-signed root its private key too. */
  subjectKeys: { publicKey: SubjectPublicKey; privateKey?: CryptoKey };
  /** Distinguished name, e.g. "CN=starling fleet root CA, O=Starling"; or a name as another certificate encodes it (a cross-signed root keeps its own). */
  subject: string | asn.Name;
  /** DNS names and IP addresses (server certificates). */
  sans?: string[];
  usage: CertificateUsage;
  notBefore: Date;
  notAfter: Date;
  /** For a CA: how many CAs may stand below it (0: it signs only leaves). */
  pathLength?: number;
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

/** A positive 127-bit serial whose DER encoding is minimal (first byte 0x40–0x7f; RFC 5280 allows up to 20 octets). */
function serial(): ArrayBuffer {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return toArrayBuffer(b);
}

const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

const extension = (extnID: string, value: object, critical = false): asn.Extension =>
  new asn.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

/** The extensions that depend only on the use (and a CA's path length), made once each. */
const fixedExtensions = new Map<string, asn.Extension[]>();
function usageExtensions(usage: CertificateUsage, pathLength: number | undefined): asn.Extension[] {
  const key = `${usage}/${pathLength ?? ''}`;
  let list = fixedExtensions.get(key);
  if (!list) {
    list =
      usage === 'ca'
        ? [
            extension(asn.id_ce_basicConstraints, new asn.BasicConstraints({ cA: true, ...(pathLength !== undefined ? { pathLenConstraint: pathLength } : {}) }), true),
            extension(asn.id_ce_keyUsage, new asn.KeyUsage(asn.KeyUsageFlags.keyCertSign | asn.KeyUsageFlags.cRLSign | asn.KeyUsageFlags.digitalSignature), true),
          ]
        : [
            extension(asn.id_ce_basicConstraints, new asn.BasicConstraints({ cA: false }), true),
            extension(asn.id_ce_keyUsage, new asn.KeyUsage(asn.KeyUsageFlags.digitalSignature), true),
            extension(asn.id_ce_extKeyUsage, new asn.ExtendedKeyUsage([usage === 'server' ? SERVER_AUTH : CLIENT_AUTH])),
          ];
    fixedExtensions.set(key, list);
  }
  return list;
}

function extensions(request: IssueRequest, spki: Uint8Array, issuer: LoadedIssuer | undefined): asn.Extensions {
  const list = [extension(asn.id_ce_subjectKeyIdentifier, new asn.SubjectKeyIdentifier(keyIdentifier(spki)))];
  if (issuer) list.push(extension(asn.id_ce_authorityKeyIdentifier, new asn.AuthorityKeyIdentifier({ keyIdentifier: new asn.KeyIdentifier(issuer.keyId) })));
  list.push(...usageExtensions(request.usage, request.pathLength));
  if (request.sans?.length) {
    list.push(extension(asn.id_ce_subjectAltName, new asn.SubjectAlternativeName(request.sans.map((value) => new asn.GeneralName(IP.test(value) ? { iPAddress: value } : { dNSName: value })))));
  }
  return new asn.Extensions(list);
}

/** "CN=a, O=b" as a Name, encoded as @peculiar/x509 encodes it (certificates issued before keep matching); or a Name as another certificate encoded it. */
const nameOf = (subject: string | asn.Name): asn.Name => (typeof subject === 'string' ? AsnConvert.parse(new x509.Name(subject).toArrayBuffer(), asn.Name) : subject);

const spkiOf = async (key: SubjectPublicKey): Promise<Uint8Array> => (key instanceof Uint8Array ? key : new Uint8Array(await subtle.exportKey('spki', key)));

/** Issues a certificate; returns its PEM. */
export async function issueCertificate(request: IssueRequest): Promise<string> {
  const spki = await spkiOf(request.subjectKeys.publicKey);
  let issuer: LoadedIssuer | undefined;
  let signingKey: KeyObject;
  let notAfter = request.notAfter;
  if (!request.issuer) {
    if (request.usage !== 'ca' || !request.subjectKeys.privateKey) throw new Error('only a CA with its private key can be self-signed');
    signingKey = KeyObject.from(request.subjectKeys.privateKey);
  } else {
    issuer = 'keyId' in request.issuer ? request.issuer : await loadIssuer(request.issuer);
    signingKey = issuer.key;
    // Never beyond the issuer: a chain is only as long-lived as its CA.
    if (issuer.notAfter < notAfter) notAfter = issuer.notAfter;
  }
  const subject = nameOf(request.subject);
  const tbsCertificate = new asn.TBSCertificate({
    version: asn.Version.v3,
    serialNumber: serial(),
    signature: ECDSA_WITH_SHA256,
    issuer: issuer?.subject ?? subject,
    // The schema's Time is UTCTime through 2049 and GeneralizedTime from 2050, as RFC 5280 wants.
    validity: new asn.Validity({ notBefore: request.notBefore, notAfter }),
    subject,
    subjectPublicKeyInfo: AsnConvert.parse(spki, asn.SubjectPublicKeyInfo),
    extensions: extensions(request, spki, issuer),
  });
  const signatureValue = sign('sha256', new Uint8Array(AsnConvert.serialize(tbsCertificate)), { key: signingKey, dsaEncoding: 'der' });
  const certificate = new asn.Certificate({ tbsCertificate, signatureAlgorithm: ECDSA_WITH_SHA256, signatureValue: toArrayBuffer(signatureValue) });
  return pemBlock('CERTIFICATE', new Uint8Array(AsnConvert.serialize(certificate)));
}
