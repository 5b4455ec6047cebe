/**
 * What a child trusts and presents on its link, and node's options for it.
 * Kept apart from the enrollment code, which loads the X.509 library: a
 * running agent needs only these few lines (its memory is measured).
 */

/** The pinned CA, this child's client certificate and key (PEM). */
export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

/** node https.Agent / tls.connect options for a ClientTls: the pinned CA is the trust anchor, even when it is an intermediate. */
export function clientTlsOptions(tls: ClientTls | undefined): { ca?: string; cert?: string; key?: string; allowPartialTrustChain?: boolean } {
  if (!tls) return {};
  return { ca: tls.ca, allowPartialTrustChain: true, ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}) };
}
