/** The certificate vocabulary, spelled once. */

/**
 * - `platform`: this controller's API server certificate;
 * - `platform-ca`: a standalone site's own CA (signs its server and agent certificates);
 * - `fleet-root-ca`: a system controller's CA, the root of the fleet's trust;
 * - `subcloud-ica`: a subcloud's intermediate CA, issued by its system controller;
 * - `host-client`: a host agent's client certificate (mutual TLS to its site controller);
 * - `subcloud-client`: a subcloud's client certificate (mutual TLS to its system controller);
 * - `ssl-ca`: a CA bundle an operator installed as trusted.
 */
export const CERTIFICATE_TYPES = ['platform', 'platform-ca', 'fleet-root-ca', 'subcloud-ica', 'host-client', 'subcloud-client', 'ssl-ca'] as const;
export type CertificateType = (typeof CERTIFICATE_TYPES)[number];

/** The types that are CAs: alarmed earlier, and replaced by a ca-update rather than renewed in place. */
export const CA_TYPES: readonly CertificateType[] = ['platform-ca', 'fleet-root-ca', 'subcloud-ica', 'ssl-ca'];

/** `auto`: Starling issued it and renews it; `manual`: an operator installed it and replaces it. */
export const RENEWAL_MODES = ['auto', 'manual'] as const;
export type RenewalMode = (typeof RENEWAL_MODES)[number];

/** The certificate of this controller's own CA, by the site's role. */
export const caTypeFor = (role: 'standalone' | 'systemcontroller' | 'subcloud'): CertificateType =>
  role === 'systemcontroller' ? 'fleet-root-ca' : role === 'subcloud' ? 'subcloud-ica' : 'platform-ca';
