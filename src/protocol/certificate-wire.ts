/**
 * Certificate renewal and trust over the report channel, the same fields on
 * the host agent's and the subcloud's reports (they are added to both).
 *
 * The parent decides when a child's client certificate is renewed: it sees
 * the certificate on the connection, and asks (`renew_certificate`) once two
 * thirds of its lifetime have passed or it was issued by a CA this parent no
 * longer signs with. The child then sends a request (`csr`) for a new key in
 * its next report and gets the certificate in the reply; a reply lost on a
 * bad link costs nothing, the child sends the same request again.
 *
 * `trust_token` names the CAs the child trusts for its parent; when it is not
 * the parent's, the reply carries the parent's CAs (`trust`). The channel is
 * already authenticated by the CAs the child holds, so a new CA arrives only
 * from a parent the child trusts (a renewed intermediate CA, a root rotation).
 */
import { Type } from '@sinclair/typebox';

const Pem = (description: string) => Type.String({ maxLength: 16_384, description });

export const RenewalReportFields = {
  trust_token: Type.Optional(Type.String({ maxLength: 16, description: 'Names the CAs the child trusts for its parent (trustTokenOf)' })),
  csr: Type.Optional(Type.String({ maxLength: 8192, description: 'A request for a new client certificate, after the parent asked (renew_certificate)' })),
};

export const RenewalReplyFields = {
  trust: Type.Optional(Type.Array(Pem("One of the parent's CAs"), { maxItems: 4, description: "The CAs to trust for the parent, when the child's trust_token is not the parent's" })),
  renew_certificate: Type.Optional(Type.Boolean({ description: 'Send a csr: the client certificate on this connection is due for renewal' })),
  certificate: Type.Optional(Pem('The renewed client certificate, for the csr in the report')),
  certificate_error: Type.Optional(Type.String({ maxLength: 1000, description: 'Why the csr was refused (the child makes a new one)' })),
};

/** A subcloud's intermediate CA is renewed the same way (it keeps its key, so what it signed stays valid). */
export const CaRenewalReportFields = {
  ca_csr: Type.Optional(Type.String({ maxLength: 8192, description: "A request to renew the subcloud's intermediate CA (same key)" })),
};

export const CaRenewalReplyFields = {
  renew_ca: Type.Optional(Type.Boolean({ description: "Send a ca_csr: the subcloud's intermediate CA is to be reissued" })),
  ca_certificate: Type.Optional(Pem("The renewed intermediate CA, then the chain above it, for the report's ca_csr")),
  ca_certificate_error: Type.Optional(Type.String({ maxLength: 1000 })),
};

export interface RenewalReport {
  trust_token?: string;
  csr?: string;
}

export interface RenewalReply {
  trust?: string[];
  renew_certificate?: boolean;
  certificate?: string;
  certificate_error?: string;
}

export interface CaRenewalReply {
  renew_ca?: boolean;
  ca_certificate?: string;
  ca_certificate_error?: string;
}
