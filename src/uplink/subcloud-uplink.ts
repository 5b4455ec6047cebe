/**
 * A subcloud's link to its system controller (pull-based, as the host agent
 * to its site): it enrolls once, then reports in a loop. Each report is a
 * long poll held until the desired state changes or the interval passes, so
 * one exchange per interval is the heartbeat, the alarm delta sync and the
 * channel for changes. Alarm changes are read from the site's event log
 * above what the system controller acknowledged, so they are delivered in
 * order, exactly once, however long the link was down. Failures back off
 * with full jitter.
 *
 * Desired state: synced endpoint content is applied (its result shows in the
 * next status), a new system controller address is adopted after a report
 * there succeeds (reconfigure), and a rehome enrolls with the new system
 * controller, tells the old one, and switches — all without a restart.
 */
import { contentToken } from '../core/canonical.js';
import { durations } from '../core/durations.js';
import type { Logger } from '../core/logging.js';
import { HttpError, JsonClient, retireClient } from '../agent/http.js';
import { Backoff } from '../protocol/backoff.js';
import { probingSleep, tcpReachable } from './reachability.js';
import { createKicker } from '../protocol/kicker.js';
import { createSerial } from '../protocol/serial.js';
import type { SubcloudDesired, SubcloudReply, SubcloudReport } from '../protocol/subcloud-wire.js';
import type { SiteSource } from './site-source.js';
import type { EnrollmentKey } from '../pki/child-enrollment.js';
import { tlsFetch } from '../pki/tls-fetch.js';
import { TrustWatch, type TrustHooks } from '../pki/trust-watch.js';
import type { UplinkRecord, UplinkStore } from './uplink-store.js';
import { ClientRenewal } from '../pki/client-renewal.js';
import { subcloudPrincipal } from '../protocol/principals.js';

/**
 * A real subcloud's own CA: at its first enrollment it asks the system
 * controller for an intermediate CA (with a request for a key it keeps),
 * which then signs its API and agent certificates. Simulated subclouds have
 * no API and no agents, and no CA.
 */
export interface SiteCa {
  /** True while the site has no CA yet. */
  needed(): boolean;
  request(): Promise<string>;
  install(chainPem: string): Promise<void>;
  /** A request to renew the CA (same key) once it is due, else undefined. */
  renewalRequest(asked: boolean): Promise<string | undefined>;
  /** Puts the renewed CA in place (and what it signed, reissued under it). */
  installRenewal(chainPem: string): Promise<void>;
}

/** Wraps each HTTP exchange (the simulator puts a bad link here). */
export type Transport = <T>(send: () => Promise<T>, sizes: { requestBytes: number; responseBytes: number }) => Promise<T>;

export interface UplinkOptions {
  site: SiteSource;
  store: UplinkStore;
  /** System controller address; overrides a stored one (it moved). */
  controller?: string;
  /** One-time token from `starling subcloud add`; enrolls anew when given. */
  enrollToken?: string;
  log: Logger;
  transport?: Transport;
  random?: () => number;
  /** Alarm operations per report (more go in the next one at once). */
  maxOps?: number;
  /** Reconnect backoff (default durations.subcloudBackoff*). */
  backoff?: { baseMs: number; capMs: number };
  /** This site's CA, asked for at the first enrollment (real subclouds). */
  ca?: SiteCa;
  /**
   * The client key and request to enroll with. A real subcloud makes its own
   * at each enrollment (the default); the fleet simulator's virtual sites
   * share one, so the simulator's CPU goes to the protocol (the system
   * controller still checks and signs every request).
   */
  enrollmentKey?: () => Promise<EnrollmentKey>;
  /** Told of a renewed client certificate, once stored (a real subcloud lists it among its certificates). */
  certificateRenewed?: (certPem: string) => Promise<void>;
  /** Told when the system controller's certificate is refused, and when it is trusted again (a real subcloud raises and clears 280.010). */
  trust?: TrustHooks;
}

const direct: Transport = (send) => send();

const LINK_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
/** An open connection cut under an exchange (not a refusal, nor our own timeout). */
const CUT = new Set(['ECONNRESET', 'EPIPE']);

export class SubcloudUplink {
  private record: UplinkRecord | undefined;
  /** Counts switches of system controller or enrollment: a reply from before one is the old link's. */
  private link = 0;
  private client: JsonClient | undefined;
  /** fetch over the current link's TLS, for release content. */
  private fetchOverLink: typeof fetch = globalThis.fetch;
  private readonly backoff: Backoff;
  private readonly transport: Transport;
  private readonly maxOps: number;
  private knownGeneration = 0;
  private knownSync: string | undefined;
  /** The system controller's last acknowledged alarm sequence; -1 until the first reply. */
  private acked = -1;
  private needSnapshot = false;
  private ackedHash: string | undefined;
  private needStatus = true;
  private readonly syncErrors: Record<string, string> = {};
  private intervalMs: number = durations.reportIntervalMs;
  private reportSeq = 0;
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly inOrder = createSerial();
  /** Ends a backoff sleep early (stop). */
  private wake: (() => void) | undefined;
  /** This outage's one probe-woken attempt was made (reachability.ts); plain backoff until a report gets through. */
  private probeSpent = false;
  /** Consecutive failed exchanges (0 when connected). */
  failures = 0;
  /** Why the last exchange failed, while failures > 0 (the simulator's figures name what holds a subcloud back). */
  lastError: string | undefined;
  /** Says once when the system controller's certificate is refused, and when it is trusted again (280.010 on a real subcloud). */
  private readonly trust: TrustWatch;
  /** Reports delivered (for the simulator's figures). */
  delivered = 0;
  /** Last desired state received. */
  desired: SubcloudDesired | undefined;
  /** Renews the client certificate and takes new CAs to trust, over the reports. */
  private renewal: ClientRenewal | undefined;
  /** Clients on the old certificate, closed once their long poll is over. */
  private readonly retiring = new Set<JsonClient>();
  /** The system controller asked for the intermediate CA to be reissued (a root rotation). */
  private caAsked = false;

  constructor(private readonly options: UplinkOptions) {
    this.backoff = new Backoff(
      {
        early: { windowMs: durations.subcloudEarlyRetryWindowMs, capMs: durations.subcloudEarlyRetryCapMs },
        ...(options.backoff ?? { baseMs: durations.subcloudBackoffBaseMs, capMs: durations.subcloudBackoffCapMs }),
      },
      options.random,
    );
    this.transport = options.transport ?? direct;
    this.trust = new TrustWatch('system controller', options.log, options.trust);
    this.maxOps = options.maxOps ?? 1000;
    this.kick = createKicker(
      () => this.exchange(0),
      () => !this.stopped && this.record !== undefined && this.acked >= 0,
      { retry: this.newsRetry(), random: options.random },
    );
  }

  /** The idle backoff's start, capped at a few seconds. */
  private newsRetry(): { baseMs: number; capMs: number } {
    const idle = this.options.backoff ?? { baseMs: durations.subcloudBackoffBaseMs, capMs: durations.subcloudBackoffCapMs };
    return { baseMs: idle.baseMs, capMs: Math.min(idle.capMs, durations.subcloudNewsRetryCapMs) };
  }

  get name(): string | undefined {
    return this.record?.name;
  }

  get controller(): string | undefined {
    return this.record?.controller;
  }

  /** This subcloud's client certificate (PEM), when it reports over mutual TLS. */
  get tlsCertificate(): string | undefined {
    return this.record?.tls?.cert;
  }

  /** Enrolls if needed (or when a token is given); throws a clear error when it cannot. */
  async enroll(): Promise<UplinkRecord> {
    const stored = await this.options.store.read();
    if (stored && !this.options.enrollToken) {
      const controller = this.options.controller ?? stored.controller;
      if (controller !== stored.controller) {
        this.options.log.info({ from: stored.controller, to: controller }, 'system controller address changed; keeping the credential');
        await this.options.store.write({ ...stored, controller });
      }
      return this.use({ ...stored, controller });
    }
    // Enrolling again (a new token from "subcloud enroll-token") goes to the system controller it knows unless told another.
    const controller = this.options.controller ?? stored?.controller;
    if (!controller || !this.options.enrollToken) {
      throw new Error('this subcloud has not enrolled yet: give --system-controller URL and --enroll-token T (printed by "starling subcloud add" on the system controller)');
    }
    const record = await this.enrollWith(controller, this.options.enrollToken);
    await this.options.store.write(record);
    return this.use(record);
  }

  private async enrollWith(controller: string, token: string): Promise<UplinkRecord> {
    let client: JsonClient | undefined;
    try {
      // The system controller's chain is checked against the token's pin before the token is sent.
      const { prepareEnrollment } = await import('../pki/child-enrollment.js');
      const key = await this.options.enrollmentKey?.();
      const prepared = await this.transport(() => prepareEnrollment(controller, token, undefined, durations.cliRequestTimeoutMs, key), { requestBytes: 300, responseBytes: 1500 });
      client = new JsonClient(controller, prepared.tls ? { ca: prepared.tls.ca } : undefined, prepared.connection);
      const ca = this.options.ca?.needed() ? this.options.ca : undefined;
      const caCsr = ca ? await ca.request() : undefined;
      const body = { token: prepared.secret, ...(prepared.csr ? { csr: prepared.csr } : {}), ...(caCsr ? { ca_csr: caCsr } : {}) };
      const reply = await this.transport(
        () => client!.post<{ id: number; name: string; credential: string; certificate?: string; ca_certificate?: string }>('/api/v1/dc/enroll', body, { timeoutMs: durations.cliRequestTimeoutMs }),
        { requestBytes: 200 + (prepared.csr ? 500 : 0) + (caCsr ? 500 : 0), responseBytes: 200 + (prepared.tls ? 1500 : 0) },
      );
      if (prepared.tls && !reply.certificate) throw new Error('the system controller sent no client certificate');
      if (ca && reply.ca_certificate) await ca.install(reply.ca_certificate);
      this.options.log.info({ name: reply.name, controller, tls: prepared.tls !== undefined }, 'subcloud enrolled with the system controller');
      return { controller, name: reply.name, id: reply.id, credential: reply.credential, ...(prepared.tls ? { tls: { ...prepared.tls, cert: reply.certificate! } } : {}) };
    } catch (err) {
      throw new Error(`enrollment refused by ${controller}: ${(err as Error).message}`, { cause: err });
    } finally {
      client?.close();
    }
  }

  private use(record: UplinkRecord): UplinkRecord {
    this.client?.close();
    this.record = record;
    this.link++;
    const shared = this.options.enrollmentKey;
    this.renewal = new ClientRenewal(
      {
        commonName: subcloudPrincipal(record.name),
        log: this.options.log,
        ...(shared ? { makeKey: async () => shared().then((k) => ({ key: k.privateKeyPem, csr: k.csr })) } : {}),
      },
      record.renewal,
    );
    this.client = new JsonClient(record.controller, record.tls);
    this.fetchOverLink = tlsFetch(record.tls);
    // A new system controller (or a new enrollment): a new history.
    this.acked = -1;
    this.knownGeneration = 0;
    this.knownSync = undefined;
    this.needStatus = true;
    // The system controller needs a snapshot after an enrollment; sending it
    // in the first report saves a round trip (10,000 of them when a fleet enrolls).
    this.needSnapshot = true;
    return record;
  }

  async start(): Promise<void> {
    await this.enroll();
    this.unsubscribe = this.options.site.onChange(() => this.kick());
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.client?.close();
    for (const old of this.retiring) old.close();
    this.wake?.();
    await this.loopDone;
  }

  /**
   * An extra, short report beside the held long poll (a local alarm changed,
   * a job moved on); a failed one retries soon on its own, since it has news.
   */
  readonly kick: () => void;

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const sent: { at?: number } = {};
      try {
        // The first exchange (after enrolling, or after a failure) is answered at once and may wait long for it
        // (durations.subcloudReturnTimeoutMs); later ones are long polls.
        const returning = this.acked < 0 || this.failures > 0;
        await this.exchange(returning ? 0 : this.intervalMs, sent, returning ? durations.subcloudReturnTimeoutMs : undefined);
        this.backoff.reset();
        this.failures = 0;
        this.lastError = undefined;
        this.probeSpent = false;
        this.trust.succeeded();
      } catch (err) {
        if (this.stopped) break;
        this.failures++;
        this.lastError = `${(err as NodeJS.ErrnoException).code ?? (err instanceof HttpError ? `HTTP ${err.status}` : 'error')}: ${(err as Error).message}`;
        if (this.record) this.trust.failed(this.record.controller, err);
        // A long poll cut after it was sent and held (a LEO handover every 15 s cuts every 20 s poll): the system
        // controller had the report and the link was up until just now. Counted as a failure, it widened the
        // backoff at every flap until retries came 45 s apart and the subcloud went offline with its link up most
        // of the time. Start the backoff over instead: the next attempt comes within a second or so.
        const heldMs = sent.at === undefined ? 0 : performance.now() - sent.at;
        if (heldMs >= durations.subcloudHeldPollMs && CUT.has((err as NodeJS.ErrnoException).code ?? '')) this.backoff.reset();
        // A probe that got through but whose report never reached the far end (a proxy that accepted, then reset
        // as its link was still down, more slowly than the probe's hold on a loaded machine) proved nothing:
        // probing goes on. A report that was sent and then failed is a system controller that cannot serve yet.
        if (sent.at === undefined && LINK_FAILURES.has((err as NodeJS.ErrnoException).code ?? '')) this.probeSpent = false;
        const delay = this.backoff.next();
        const status = err instanceof HttpError ? ` (HTTP ${err.status})` : '';
        this.options.log.warn({ err: (err as Error).message, retryInMs: delay, failures: this.failures }, `subcloud report failed${status}; retrying`);
        const record = this.record;
        const how = await probingSleep({
          delayMs: delay,
          intervalMs: durations.subcloudProbeIntervalMs,
          spreadMs: durations.subcloudProbeSpreadMs,
          probe:
            this.probeSpent || !record
              ? undefined
              : () => this.transport(() => tcpReachable(record.controller, { holdMs: durations.subcloudProbeHoldMs, timeoutMs: durations.subcloudProbeTimeoutMs }), { requestBytes: 60, responseBytes: 60 }),
          random: this.options.random ?? Math.random,
          onWake: (wake) => (this.wake = wake),
        });
        if (how === 'reachable') {
          this.probeSpent = true;
          this.options.log.info({ failures: this.failures }, 'system controller reachable again: reporting now rather than after the backoff');
        }
        this.wake = undefined;
      }
    }
  }

  private async buildReport(waitMs: number): Promise<{ body: SubcloudReport; hash: string; includeStatus: boolean; more: boolean }> {
    const site = this.options.site;
    const status = { ...(await site.status()), ...(Object.keys(this.syncErrors).length ? { sync_errors: { ...this.syncErrors } } : {}) };
    const hash = contentToken(status);
    const includeStatus = this.needStatus || hash !== this.ackedHash;
    let ops: SubcloudReport['ops'] = [];
    let more = false;
    if (this.acked >= 0 && !this.needSnapshot) {
      const after = await site.opsAfter(this.acked, this.maxOps);
      if (after.gap) this.needSnapshot = true;
      else {
        ops = after.ops;
        more = ops.length === this.maxOps;
      }
    }
    const snapshot = this.needSnapshot ? await site.snapshot() : undefined;
    const caCsr = this.record?.tls ? await this.options.ca?.renewalRequest(this.caAsked) : undefined;
    const body: SubcloudReport = {
      seq: ++this.reportSeq,
      status_hash: hash,
      ...(includeStatus ? { status } : {}),
      ops,
      ...(snapshot ? { snapshot } : {}),
      known_generation: this.knownGeneration,
      ...(this.knownSync !== undefined ? { known_sync: this.knownSync } : {}),
      wait_ms: waitMs,
      ...this.renewal?.fields(this.record?.tls),
      ...(caCsr ? { ca_csr: caCsr } : {}),
    };
    return { body, hash, includeStatus, more };
  }

  private async post(client: JsonClient, record: UplinkRecord, body: SubcloudReport, sent?: { at?: number }, timeoutMs = body.wait_ms + durations.agentRequestMarginMs): Promise<SubcloudReply> {
    const onSent = sent && (() => (sent.at = performance.now()));
    try {
      return await this.transport(
        () => client.post<SubcloudReply>('/api/v1/dc/report', body, { token: record.credential, timeoutMs, ...(onSent ? { onSent } : {}) }),
        { requestBytes: 300 + body.ops.length * 200 + (body.snapshot ? body.snapshot.alarms.length * 200 : 0), responseBytes: 300 },
      );
    } catch (err) {
      // The link failed under this exchange: its connection is gone too (a real cut
      // takes TCP with it; the simulator's link says so with these codes), so the
      // next attempt connects afresh, with a new TLS handshake, as after a real outage.
      if (LINK_FAILURES.has((err as NodeJS.ErrnoException).code ?? '')) client.dropConnections();
      throw err;
    }
  }

  /** One report and its reply; `sent.at` is set once the report is on its way (the main loop tells a cut long poll from a dead link by it). */
  private async exchange(waitMs: number, sent?: { at?: number }, timeoutMs?: number): Promise<void> {
    const record = this.record!;
    const client = this.client!;
    const link = this.link;
    const { body, hash, includeStatus, more } = await this.buildReport(waitMs);
    const reply = await this.post(client, record, body, sent, timeoutMs);
    if (link !== this.link) return; // switched system controller meanwhile: this reply is the old one's
    this.delivered++;
    // The link is back: the main loop's long poll need not sit out its backoff.
    this.wake?.();
    if (includeStatus) this.ackedHash = hash;
    this.needStatus = reply.need_status ?? false;
    this.acked = reply.ack_op_seq;
    if (body.snapshot) this.needSnapshot = false;
    if (reply.need_snapshot) this.needSnapshot = true;
    this.intervalMs = reply.report_interval_ms;
    if (more || reply.need_snapshot) this.kick();
    await this.inOrder(() => this.takeRenewal(link, reply, record.tls?.cert));
    const desired = reply.desired;
    if (desired) await this.inOrder(() => this.applyDesired(desired));
  }

  /**
   * Takes the certificate part of a reply: a renewed client certificate or
   * new CAs are stored with the link before they are used (new connections
   * use them; the one holding a long poll finishes on the old), a renewed
   * intermediate CA is put in place.
   */
  private async takeRenewal(link: number, reply: SubcloudReply, sentWith: string | undefined): Promise<void> {
    const record = this.record;
    if (link !== this.link || !record || !this.renewal) return;
    if (reply.renew_ca && !this.caAsked) {
      this.caAsked = true;
      this.kick();
    }
    if (reply.ca_certificate) {
      try {
        await this.options.ca?.installRenewal(reply.ca_certificate);
        this.caAsked = false;
        this.options.log.info("renewed this subcloud's intermediate CA");
      } catch (err) {
        this.options.log.error({ err: (err as Error).message }, 'could not install the renewed intermediate CA');
      }
    } else if (reply.ca_certificate_error) {
      this.options.log.warn({ err: reply.ca_certificate_error }, "the system controller refused to renew this subcloud's intermediate CA");
    }
    const outcome = await this.renewal.take(record.tls, reply, sentWith);
    if (!outcome.tls && !outcome.pendingChanged) return;
    const next: UplinkRecord = { ...record, ...(outcome.tls ? { tls: outcome.tls } : {}) };
    if (this.renewal.pending) next.renewal = this.renewal.pending;
    else delete next.renewal;
    await this.options.store.write(next);
    this.record = next;
    if (next.tls?.cert && next.tls.cert !== record.tls?.cert) await this.options.certificateRenewed?.(next.tls.cert);
    if (outcome.tls) {
      retireClient(this.client!, this.intervalMs + durations.agentRequestMarginMs, this.retiring);
      this.client = new JsonClient(next.controller, next.tls);
      this.fetchOverLink = tlsFetch(next.tls);
    }
    if (outcome.kick) this.kick();
  }

  private async applyDesired(desired: SubcloudDesired): Promise<void> {
    if (desired.generation < this.knownGeneration) return; // a late reply (a kick racing the long poll)
    this.desired = desired;
    let changed = false;
    const held = (await this.options.site.status()).endpoints;
    for (const [endpoint, { hash, content }] of Object.entries(desired.endpoints)) {
      if (content === undefined || held[endpoint] === hash) continue;
      try {
        await this.options.site.apply(endpoint, content);
        delete this.syncErrors[endpoint];
        this.options.log.info({ endpoint, hash }, 'applied synced content from the system controller');
      } catch (err) {
        this.syncErrors[endpoint] = (err as Error).message.slice(0, 1000);
        this.options.log.error({ endpoint, err: (err as Error).message }, 'could not apply synced content');
      }
      changed = true;
    }
    this.knownSync = desired.sync;
    await this.options.site.orchestrate(desired.orchestration, { url: this.record!.controller, token: this.record!.credential, fetch: this.fetchOverLink });
    if (desired.rehome) {
      if (await this.rehome(desired.rehome)) return;
    } else if (desired.system_controller_url && desired.system_controller_url !== this.record!.controller) {
      if (await this.reconfigure(desired.system_controller_url)) return;
    }
    this.knownGeneration = desired.generation;
    if (changed) this.kick();
  }

  /** Moves to a new address of the same system controller, once a report there succeeds. */
  private async reconfigure(url: string): Promise<boolean> {
    const next = { ...this.record!, controller: url };
    const client = new JsonClient(url, next.tls);
    try {
      const { body } = await this.buildReport(0);
      await this.post(client, next, { ...body, ops: [] });
    } catch (err) {
      client.close();
      this.options.log.warn({ url, err: (err as Error).message }, 'new system controller address does not answer; staying on the current one');
      return false;
    }
    client.close();
    await this.options.store.write(next);
    this.use(next);
    this.options.log.info({ controller: url }, 'reporting to the new system controller address');
    return true;
  }

  /** Enrolls with another system controller, lets the current one go, and switches. */
  private async rehome(target: { url: string; enroll_token: string }): Promise<boolean> {
    let next: UplinkRecord;
    try {
      next = await this.enrollWith(target.url, target.enroll_token);
    } catch (err) {
      this.options.log.error({ url: target.url, err: (err as Error).message }, 'rehome: enrollment with the new system controller failed');
      this.syncErrors.rehome = (err as Error).message.slice(0, 1000);
      return false;
    }
    delete this.syncErrors.rehome;
    const old = this.record!;
    try {
      const { body } = await this.buildReport(0);
      await this.post(this.client!, old, { ...body, ops: [], rehomed_to: target.url });
    } catch (err) {
      // The old one will see it offline; it is told again never. Its operator deletes the entry.
      this.options.log.warn({ err: (err as Error).message }, 'rehome: could not tell the old system controller');
    }
    await this.options.store.write(next);
    this.use(next);
    this.needSnapshot = true;
    this.options.log.info({ from: old.controller, to: next.controller }, 'rehomed to a new system controller');
    return true;
  }
}
