/**
 * The parent's side of certificate renewal over the report channel (see
 * protocol/certificate-wire.ts): asks a child to renew when the certificate
 * on its connection is due, signs the request it then sends, and hands out
 * this controller's CAs to a child whose trust is not current.
 *
 * A request that cannot be signed is answered with the reason, never with an
 * error status: the report carries heartbeats and alarms too, and a bad
 * request must not stop them.
 */
import type { Clock } from '../../core/clock.js';
import { InputError } from '../../core/errors.js';
import type { Logger } from '../../core/logging.js';
import type { PresentedCertificate } from '../../api/client-certificate.js';
import type { CaRenewalReply, RenewalReply, RenewalReport } from '../../protocol/certificate-wire.js';
import { trustTokenOf } from '../../pki/trust-token.js';
import { splitPemChain } from '../../pki/pem.js';
import { renewAt, type PlatformPki } from './platform-pki.js';

export interface ChildRenewalDeps {
  pki: PlatformPki;
  clock: Clock;
  log: Logger;
}

/** Who is asking: its principal (the certificate's subject), and how its certificates are recorded. */
export interface RenewingChild {
  principal: string;
  type: 'host-client' | 'subcloud-client';
  owner: string;
}

/** What a child last showed on its report while a root rotation runs. */
export interface ChildSeen {
  /** The token of the CAs it trusts its parent by. */
  trust?: string;
  /** The CA of the client certificate on its connection. */
  issuer?: string;
}

export class ChildRenewal {
  private trust: { pems: string[]; token: string } | undefined;
  /**
   * By principal, while a root rotation runs: what the ca-update strategy
   * reads to move each subcloud's step. Kept in memory: after a restart the
   * next report (within an interval) tells it again.
   */
  readonly seen = new Map<string, ChildSeen>();

  constructor(private readonly deps: ChildRenewalDeps) {}

  /** This controller's CAs for its children, and their token (recomputed when they change). */
  private currentTrust(): { pems: string[]; token: string } {
    const pems = this.deps.pki.trustBundle;
    if (!this.trust || this.trust.pems.join('') !== pems.join('')) this.trust = { pems, token: trustTokenOf(pems) };
    return this.trust;
  }

  /** True when this controller signs for its children over mutual TLS. */
  get ready(): boolean {
    return this.deps.pki.mtls && this.deps.pki.ready;
  }

  /** True when the certificate a child presents should be replaced: two thirds through its life, or from a CA this controller no longer signs with. */
  due(presented: PresentedCertificate): boolean {
    if (this.deps.clock.now() >= renewAt({ not_before: presented.notBefore, not_after: presented.notAfter })) return true;
    return presented.issuerFingerprint !== undefined && presented.issuerFingerprint !== this.deps.pki.clientIssuerFingerprint;
  }

  /** The renewal and trust part of a reply to a child's report. */
  async answer(child: RenewingChild, report: RenewalReport, presented: PresentedCertificate | undefined): Promise<RenewalReply> {
    if (!this.ready) return {};
    if (this.deps.pki.rotationState) this.seen.set(child.principal, { ...(report.trust_token ? { trust: report.trust_token } : {}), ...(presented?.issuerFingerprint ? { issuer: presented.issuerFingerprint } : {}) });
    else if (this.seen.size) this.seen.clear();
    const reply: RenewalReply = {};
    if (report.trust_token !== undefined) {
      const trust = this.currentTrust();
      if (report.trust_token !== trust.token) reply.trust = trust.pems;
    }
    if (report.csr !== undefined) {
      try {
        const previous = (await this.deps.pki.issuedTo(child.type, child.owner))?.pem;
        const certificate = await this.deps.pki.signClientCertificate(child.principal, report.csr, previous);
        if (previous === undefined || certificate !== splitPemChain(previous)[0]) {
          await this.deps.pki.recordIssued(child.type, child.owner, certificate);
          this.deps.log.info({ child: child.principal }, 'renewed a client certificate');
        }
        reply.certificate = certificate;
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        this.deps.log.warn({ child: child.principal, err: err.message }, 'refused a client certificate renewal request');
        reply.certificate_error = err.message;
      }
    } else if (presented && this.due(presented)) {
      reply.renew_certificate = true;
    }
    return reply;
  }

  /** The token of a set of CAs, as children send it (cached for the current trust). */
  tokenOf(pems: string[]): string {
    return pems.join('') === this.currentTrust().pems.join('') ? this.currentTrust().token : trustTokenOf(pems);
  }

  /** True when a subcloud's intermediate CA is to be reissued: during a root rotation, once the new root signs and its ICA is not from it. */
  async caDue(subcloud: string): Promise<boolean> {
    const phase = this.deps.pki.rotationState?.phase;
    if (phase !== 'update-certs' && phase !== 'trust-new') return false;
    const ica = await this.deps.pki.issuedTo('subcloud-ica', subcloud);
    return ica !== undefined && !this.deps.pki.signedNow(ica.pem);
  }

  /** A subcloud's request to renew its intermediate CA. */
  async answerCa(subcloud: string, caCsr: string): Promise<CaRenewalReply> {
    try {
      const chain = await this.deps.pki.signIntermediateCa(subcloud, caCsr);
      await this.deps.pki.recordIssued('subcloud-ica', subcloud, chain);
      this.deps.log.info({ subcloud }, "renewed a subcloud's intermediate CA");
      return { ca_certificate: chain };
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      this.deps.log.warn({ subcloud, err: err.message }, "refused a subcloud's intermediate CA renewal request");
      return { ca_certificate_error: err.message };
    }
  }
}
