/**
 * What a child trusts and presents on its link, and node's options for it.
 * Kept apart from the enrollment code, which loads the X.509 library: a
 * running agent needs only these few lines (its memory is measured).
 */
import { createSecureContext, type SecureContext } from 'node:tls';

/** The pinned CA, this child's client certificate and key (PEM). */
export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * node https.Agent / tls.connect options for a ClientTls: the pinned CA is
 * the trust anchor, even when it is an intermediate. The secure context is
 * built here, once per client: given the PEM options instead, node parses
 * the CA, the certificate and the key again for every connection, which was
 * a quarter of a subcloud's CPU while a fleet enrolls.
 */
export function clientTlsOptions(tls: ClientTls | undefined): { secureContext?: SecureContext } {
  if (!tls) return {};
  if (tls.cert && tls.key) return { secureContext: createSecureContext({ ca: tls.ca, allowPartialTrustChain: true, cert: tls.cert, key: tls.key }) };
  // Only a CA, as while enrolling: the same for every child of that parent
  // (the fleet simulator's thousands), so built once per CA.
  let context = pinnedOnly.get(tls.ca);
  if (!context) pinnedOnly.set(tls.ca, (context = createSecureContext({ ca: tls.ca, allowPartialTrustChain: true })));
  return { secureContext: context };
}

const pinnedOnly = new Map<string, SecureContext>();
