/**
 * Certificate signing requests, the parent's side: a child makes its own key
 * pair and sends only the request (csr-writer.ts), so its private key never
 * leaves it.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { ECParameters } from '@peculiar/asn1-ecc';
import { Extensions, id_ce_subjectAltName, SubjectAlternativeName, type Attribute, type Name } from '@peculiar/asn1-x509';
import { pemToDer } from './pem.js';

export interface ReadCsr {
  commonName: string | undefined;
  sans: string[];
  /** The requested key, SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
}

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const P256 = '1.2.840.10045.3.1.7';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const COMMON_NAME = '2.5.4.3';

/**
 * Parses and verifies a CSR (its signature proves the sender holds the key);
 * throws a plain Error saying why not. Read with the ASN.1 schema and
 * verified with node's crypto over the request's own bytes: a system
 * controller reads two for each subcloud that enrolls.
 */
export async function readCsr(pem: string): Promise<ReadCsr> {
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(pemToDer(pem), CertificationRequest);
  } catch (err) {
    throw new Error(`not a PEM PKCS#10 certificate request: ${(err as Error).message}`, { cause: err });
  }
  const info = csr.certificationRequestInfo;
  const keyAlgorithm = info.subjectPKInfo.algorithm;
  const curve = keyAlgorithm.parameters ? AsnConvert.parse(keyAlgorithm.parameters, ECParameters).namedCurve : undefined;
  if (keyAlgorithm.algorithm !== EC_PUBLIC_KEY || curve !== P256) throw new Error('the certificate request must carry an ECDSA P-256 public key');
  const spki = new Uint8Array(AsnConvert.serialize(info.subjectPKInfo));
  const signed = csr.certificationRequestInfoRaw;
  let key: KeyObject;
  try {
    key = publicKeyOf(new Uint8Array(info.subjectPKInfo.subjectPublicKey), spki);
  } catch {
    throw new Error('the certificate request carries a public key that is not a point on P-256');
  }
  const valid =
    signed !== undefined &&
    csr.signatureAlgorithm.algorithm === ECDSA_WITH_SHA256 &&
    verify('sha256', new Uint8Array(signed), { key, dsaEncoding: 'der' }, new Uint8Array(csr.signature));
  if (!valid) throw new Error('the certificate request is not signed by its own key');
  return { commonName: commonNameOf(info.subject), sans: requestedNames(info.attributes), spki };
}

/**
 * The request's P-256 key for verifying. An uncompressed point (what every
 * P-256 key from node or OpenSSL is) goes in by its coordinates: OpenSSL 3.0
 * (node 20) reads a DER key through its decoder framework at twice the CPU,
 * and a system controller reads one request per enrolling subcloud.
 */
function publicKeyOf(point: Uint8Array, spki: Uint8Array): KeyObject {
  if (point.length !== 65 || point[0] !== 0x04) return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const coordinate = (from: number) => Buffer.from(point.subarray(from, from + 32)).toString('base64url');
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: coordinate(1), y: coordinate(33) }, format: 'jwk' });
}

function commonNameOf(name: Name): string | undefined {
  for (const rdn of name) for (const attribute of rdn) if (attribute.type === COMMON_NAME) return attribute.value.toString();
  return undefined;
}

/** DNS names and IP addresses the request asks for (its extension request's subject alternative names). */
function requestedNames(attributes: Attribute[]): string[] {
  const names: string[] = [];
  for (const attribute of attributes) {
    if (attribute.type !== EXTENSION_REQUEST) continue;
    for (const value of attribute.values) {
      for (const ext of AsnConvert.parse(value, Extensions)) {
        if (ext.extnID !== id_ce_subjectAltName) continue;
        for (const n of AsnConvert.parse(ext.extnValue, SubjectAlternativeName)) {
          if (n.dNSName !== undefined) names.push(n.dNSName);
          else if (n.iPAddress !== undefined) names.push(n.iPAddress);
        }
      }
    }
  }
  return names;
}
