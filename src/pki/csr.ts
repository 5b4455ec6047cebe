/**
 * Certificate signing requests: a child makes its own key pair and sends
 * only the request, so its private key never leaves it.
 */
import { sanNames } from './certificate.js';
import type { KeyPair } from './keys.js';
import { EC_P256, x509 } from './x509.js';

/** A request for `pair`'s key; without a common name the parent names the subject (a subcloud does not know its name before it enrolls). */
export async function createCsr(pair: KeyPair, commonName?: string): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(commonName === undefined ? [] : [{ CN: [commonName] }]),
    keys: pair.keys,
    signingAlgorithm: EC_P256,
  });
  return csr.toString('pem') + '\n';
}

export interface ReadCsr {
  commonName: string | undefined;
  sans: string[];
  publicKey: x509.PublicKey;
}

/** Parses and verifies a CSR (its signature proves the sender holds the key); throws a plain Error saying why not. */
export async function readCsr(pem: string): Promise<ReadCsr> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (err) {
    throw new Error(`not a PEM PKCS#10 certificate request: ${(err as Error).message}`, { cause: err });
  }
  if (!(await csr.verify().catch(() => false))) throw new Error('the certificate request is not signed by its own key');
  const publicKey = csr.publicKey;
  const algorithm = publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') throw new Error('the certificate request must carry an ECDSA P-256 public key');
  return { commonName: new x509.Name(csr.subject).getField('CN')[0], sans: sanNames(subjectAltNames(csr)), publicKey };
}

const SUBJECT_ALT_NAME_OID = '2.5.29.17';

function subjectAltNames(csr: x509.Pkcs10CertificateRequest): x509.SubjectAlternativeNameExtension | undefined {
  const ext = csr.getExtension(SUBJECT_ALT_NAME_OID);
  if (!ext) return undefined;
  return ext instanceof x509.SubjectAlternativeNameExtension ? ext : new x509.SubjectAlternativeNameExtension(ext.rawData);
}
