/**
 * A child's side of certificate renewal and trust over its report channel
 * (see protocol/certificate-wire.ts), the same for a host agent and a
 * subcloud. When the parent asks, it makes a new key and request and keeps
 * them (`pending`, stored with the credential, so a restart sends the same
 * request); each report carries the request until the certificate for that
 * key comes back. A certificate for another key is ignored: it answers an
 * older request.
 */
import { X509Certificate, createPublicKey } from 'node:crypto';
import type { Logger } from '../core/logging.js';
import type { RenewalReply, RenewalReport } from '../protocol/certificate-wire.js';
import type { ClientTls } from './client-tls.js';
import { trustTokenOf } from './trust-token.js';

/** A renewal request sent and not yet answered: its key and the request. */
export interface PendingRenewal {
  key: string;
  csr: string;
}

export interface ClientRenewalOptions {
  /** The subject the parent will give the certificate (the child's principal); the parent checks it. */
  commonName?: string;
  log: Logger;
  /** Makes a key and its request (loaded only when a renewal is due: the X.509 library is not in an idle agent's memory). */
  makeKey?: (commonName?: string) => Promise<PendingRenewal>;
}

export interface RenewalOutcome {
  /** The link's new TLS material, when it changed (trust or certificate): store it, then use it. */
  tls?: ClientTls;
  /** The pending request changed: store it. */
  pendingChanged: boolean;
  /** Report again now (a request to send). */
  kick: boolean;
}

const defaultMakeKey = async (commonName?: string): Promise<PendingRenewal> => {
  const { enrollmentKey } = await import('./child-enrollment.js');
  const made = await enrollmentKey(commonName);
  return { key: made.privateKeyPem, csr: made.csr };
};

export class ClientRenewal {
  private token: { ca: string; value: string } | undefined;

  constructor(
    private readonly options: ClientRenewalOptions,
    /** The request in flight, as stored with the credential. */
    public pending: PendingRenewal | undefined,
  ) {}

  /** What a report carries: the token of the CAs trusted, and the pending request. */
  fields(tls: ClientTls | undefined): RenewalReport {
    if (!tls) return {};
    if (this.token?.ca !== tls.ca) this.token = { ca: tls.ca, value: trustTokenOf(tls.ca) };
    return { trust_token: this.token.value, ...(this.pending ? { csr: this.pending.csr } : {}) };
  }

  /**
   * Takes the renewal and trust part of a reply. `sentWith` is the
   * certificate the exchange's connection carried: a long poll held on the
   * old one across a renewal comes back asking for a renewal of that old
   * certificate, which is done already, so that request is not taken.
   */
  async take(tls: ClientTls | undefined, reply: RenewalReply, sentWith?: string): Promise<RenewalOutcome> {
    const outcome: RenewalOutcome = { pendingChanged: false, kick: false };
    if (!tls) return outcome;
    let next = tls;
    if (reply.trust?.length) {
      next = { ...next, ca: reply.trust.join('') };
      this.options.log.info({ cas: reply.trust.length }, 'the parent sent the CAs to trust it by; trusting them from now on');
    }
    if (reply.certificate) {
      if (this.pending && samePublicKey(reply.certificate, this.pending.key)) {
        next = { ...next, cert: reply.certificate, key: this.pending.key };
        this.pending = undefined;
        outcome.pendingChanged = true;
        this.options.log.info({ validTo: new Date(new X509Certificate(reply.certificate).validTo).toISOString() }, 'client certificate renewed');
      }
    } else if (reply.certificate_error) {
      this.options.log.warn({ err: reply.certificate_error }, 'the parent refused the certificate renewal request; a new one follows when it asks again');
      this.pending = undefined;
      outcome.pendingChanged = true;
    } else if (reply.renew_certificate && !this.pending && (sentWith === undefined || sentWith === tls.cert)) {
      this.pending = await (this.options.makeKey ?? defaultMakeKey)(this.options.commonName);
      outcome.pendingChanged = true;
      outcome.kick = true;
      this.options.log.info('the parent asked for the client certificate to be renewed; sending a request for a new key');
    }
    if (next !== tls) outcome.tls = next;
    return outcome;
  }
}

function samePublicKey(certPem: string, privateKeyPem: string): boolean {
  const spki = (key: ReturnType<typeof createPublicKey>) => key.export({ type: 'spki', format: 'der' });
  try {
    return spki(new X509Certificate(certPem).publicKey).equals(spki(createPublicKey(privateKeyPem)));
  } catch {
    return false;
  }
}
