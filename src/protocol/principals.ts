/**
 * How a parent names its children, spelled once: the principal name in the
 * API and the audit log, and the subject (CN) of the child's client
 * certificate, which must match it for mutual TLS.
 */
export const hostPrincipal = (hostname: string): string => `host:${hostname}`;
export const subcloudPrincipal = (name: string): string => `subcloud:${name}`;

/** The host name or subcloud name a principal names. */
export const principalOwner = (principal: string): string => principal.slice(principal.indexOf(':') + 1);
