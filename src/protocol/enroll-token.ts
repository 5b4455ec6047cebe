/**
 * Enroll tokens as operators copy them: `<secret>.<fingerprint>`, the
 * one-time secret and the sha256 (hex) of the CA the parent's API chains
 * to. The child pins that CA before it sends the secret (as kubeadm's
 * --discovery-token-ca-cert-hash), so a machine in the middle learns
 * nothing and gets nothing applied. A parent on plain HTTP
 * (--insecure-http) has no CA to pin, and its tokens are the bare secret.
 */
export interface EnrollToken {
  /** What the child sends to enroll; only its sha256 is stored by the parent. */
  secret: string;
  /** sha256 hex of the parent's serving CA; absent for a plain-HTTP parent. */
  caFingerprint: string | undefined;
}

const PINNED = /^([A-Za-z0-9_-]{8,128})\.([0-9a-f]{64})$/;

export function formatEnrollToken(secret: string, caFingerprint: string | undefined): string {
  return caFingerprint ? `${secret}.${caFingerprint}` : secret;
}

export function parseEnrollToken(text: string): EnrollToken {
  const m = PINNED.exec(text.trim());
  return m ? { secret: m[1]!, caFingerprint: m[2]! } : { secret: text.trim(), caFingerprint: undefined };
}
