/**
 * Issuing certificates: self-signed roots, intermediate CAs, server and
 * client leaves, each with the extensions its use needs and no more.
 *
 * The to-be-signed part is put together from DER pieces (der.ts): the
 * issuer's name and the fixed extensions encoded once, the serial, validity,
 * subject, key and key identifiers per certificate; the ASN.1 schema types of
 * @peculiar/asn1-x509 encode the pieces that vary by use. Signed with node's
 * crypto, not @peculiar/x509's generator (WebCrypto, and it parses back
 * every certificate it makes): a system controller signs one or two for
 * each of 10,000 subclouds enrolling at once. A test checks the pieces
 * against the schema's own encoding of the whole, byte for byte.
 */
import { createHash, KeyObject, randomBytes, sign, type webcrypto } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { derBitString, derOctetString, derPositiveInteger, derSequence, derTime, derTlv } from './der.js';
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
  /** The same, DER. */
  subjectDer: Uint8Array;
  notAfter: Date;
  /** Its subject key identifier: the authority key identifier of what it signs (how a verifier finds the issuer). */
  keyId: ArrayBuffer;
  /** Its public key, SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  key: KeyObject;
}

const ECDSA_WITH_SHA256 = new asn.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
const ECDSA_WITH_SHA256_DER = new Uint8Array(AsnConvert.serialize(ECDSA_WITH_SHA256));
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
  return { subject: tbs.subject, subjectDer: new Uint8Array(AsnConvert.serialize(tbs.subject)), notAfter: tbs.validity.notAfter.getTime(), keyId, spki, key: KeyObject.from(issuer.key) };
}

/** The subject's public key: a WebCrypto key, or SubjectPublicKeyInfo DER (as a certificate request carries it). */
export type SubjectPublicKey = CryptoKey | Uint8Array;

/**
 * The key identifier: SHA-1 of the SubjectPublicKeyInfo DER (RFC 5280
 * allows any method that gives unique values; this one needs no ASN.1 walk).
 */
function keyIdentifier(spki: Uint8Array): ArrayBuffer {
  const digest = createHash('sha1').update(spki).digest();
  return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength) as ArrayBuffer;
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
function serial(): Uint8Array {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return b;
}

const extension = (extnID: string, value: object, critical = false): Uint8Array =>
  new Uint8Array(AsnConvert.serialize(new asn.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) })));

/** The extensions that depend only on the use (and a CA's path length), encoded once each. */
const fixedExtensions = new Map<string, Uint8Array[]>();
function usageExtensions(usage: CertificateUsage, pathLength: number | undefined): Uint8Array[] {
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

/** OBJECT IDENTIFIER 2.5.29.14 (subject key identifier) and 2.5.29.35 (authority key identifier), DER. */
const SKID_OID = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x0e);
const AKID_OID = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x23);

function extensions(request: IssueRequest, spki: Uint8Array, issuer: LoadedIssuer | undefined): Uint8Array {
  const list = [derSequence(SKID_OID, derOctetString(derOctetString(new Uint8Array(keyIdentifier(spki)))))];
  // keyIdentifier [0] IMPLICIT OCTET STRING.
  if (issuer) list.push(derSequence(AKID_OID, derOctetString(derSequence(derTlv(0x80, new Uint8Array(issuer.keyId))))));
  list.push(...usageExtensions(request.usage, request.pathLength));
  if (request.sans?.length) {
    list.push(extension(asn.id_ce_subjectAltName, new asn.SubjectAlternativeName(request.sans.map((value) => new asn.GeneralName(IP.test(value) ? { iPAddress: value } : { dNSName: value })))));
  }
  return derSequence(...list);
}

/** "CN=a, O=b" encoded as @peculiar/x509 encodes it (certificates issued before keep matching), or a Name as another certificate encoded it. */
const nameDer = (subject: string | asn.Name): Uint8Array => new Uint8Array(typeof subject === 'string' ? new x509.Name(subject).toArrayBuffer() : AsnConvert.serialize(subject));

const spkiOf = async (key: SubjectPublicKey): Promise<Uint8Array> => (key instanceof Uint8Array ? key : new Uint8Array(await subtle.exportKey('spki', key)));

/** version [0] EXPLICIT INTEGER 2 (v3). */
const VERSION_V3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);

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
  const subject = nameDer(request.subject);
  // TBSCertificate, in RFC 5280's order, from pieces encoded once (the issuer's name, the fixed extensions) or here.
  const tbsDer = derSequence(
    VERSION_V3,
    derPositiveInteger(serial()),
    ECDSA_WITH_SHA256_DER,
    issuer?.subjectDer ?? subject,
    derSequence(derTime(request.notBefore), derTime(notAfter)),
    subject,
    spki,
    derTlv(0xa3, extensions(request, spki, issuer)),
  );
  const signature = sign('sha256', tbsDer, { key: signingKey, dsaEncoding: 'der' });
  return pemBlock('CERTIFICATE', derSequence(tbsDer, ECDSA_WITH_SHA256_DER, derBitString(signature)));
}
