/**
 * The host agent: enrolls once, then reports to its site controller in a
 * loop. Each report is a long poll: the controller holds it until the
 * desired state changes or the report interval passes, so one exchange per
 * interval is both the heartbeat and the channel for changes. Alarm changes
 * go into a durable queue and ride along until acknowledged. Failures back
 * off with full jitter.
 */
import { contentToken } from '../core/canonical.js';
import { durations } from '../core/durations.js';
import type { Logger } from '../core/logging.js';
import { VERSION } from '../core/version.js';
import type { AgentOp, AgentStatus, Desired, Reply, Report } from '../protocol/agent-wire.js';
import { Backoff } from '../protocol/backoff.js';
import { createKicker } from '../protocol/kicker.js';
import { createSerial } from '../protocol/serial.js';
import { OpQueue } from '../protocol/op-queue.js';
import type { HostConfig } from '../resources/hosts/host.types.js';
import type { HostDriver } from './drivers/driver.js';
import type { Deployer } from './deploy/deployer.js';
import { SoftwareWorker } from './deploy/software-worker.js';
import { HttpError, JsonClient, retireClient } from './http.js';
import { StateDir, type AppliedState, type Credential } from './state-dir.js';
import { hostPrincipal } from '../protocol/principals.js';
import { TrustWatch } from '../pki/trust-watch.js';
import { tlsFetch } from '../pki/tls-fetch.js';
import { ClientRenewal } from '../pki/client-renewal.js';
import { PulseSender } from './pulse-sender.js';

export interface AgentOptions {
  controller: string;
  hostname: string;
  stateDir: string;
  enrollToken?: string;
  driver: HostDriver;
  /** Reads the host's inventory (real Linux, or simulated). */
  inventory: () => Promise<unknown>;
  /** Reads volatile resource figures, sent every few minutes. */
  stats?: () => Promise<unknown>;
  log: Logger;
  now?: () => number;
  random?: () => number;
  /** Deploys releases on this host (USM); without it the host takes no software targets. */
  deploy?: { deployer: Deployer; root: string };
}

const MAX_COMPLETED = 50;

export class HostAgent {
  /** The link to the site controller; replaced once enrollment gives it a client certificate. */
  client: JsonClient;
  private fetchOverLink: typeof fetch = globalThis.fetch;
  readonly queue: OpQueue<AgentOp>;
  private readonly state: StateDir;
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private credential: Credential | undefined;
  private applied: AppliedState;
  private knownGeneration = 0;
  private reportSeq = 0;
  private ackedHash: string | undefined;
  private needStatus = true;
  private inventory: { value: unknown; at: number } | undefined;
  private lastStatsAt = 0;
  private intervalMs: number = durations.reportIntervalMs;
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  /** Desired states are applied one at a time, in arrival order. */
  private readonly inOrder = createSerial();
  /** The desired state last received (for tests and `agent status`). */
  desired: Desired | undefined;
  /** Consecutive failed exchanges (0 when connected). */
  failures = 0;
  /** Says once when the controller's certificate is refused, and when it is trusted again. */
  private readonly trust: TrustWatch;
  /** A configuration token the driver failed to apply (not retried until it changes). */
  private failedToken: string | undefined;
  private readonly software: SoftwareWorker | undefined;
  /** Renews the client certificate and takes new CAs to trust, over the reports. */
  private renewal: ClientRenewal;
  /** Clients on the old certificate, closed once their long poll is over. */
  private readonly retiring = new Set<JsonClient>();
  /** The host heartbeat (UDP pulses), once a reply hands it a session. */
  readonly pulses: PulseSender;

  constructor(private readonly options: AgentOptions) {
    this.state = new StateDir(options.stateDir);
    this.client = new JsonClient(options.controller);
    this.queue = new OpQueue<AgentOp>(this.state.file('queue.json'));
    this.backoff = new Backoff({ baseMs: durations.agentBackoffBaseMs, capMs: durations.agentBackoffCapMs }, options.random);
    this.now = options.now ?? Date.now;
    this.trust = new TrustWatch('controller', options.log);
    this.pulses = new PulseSender({ controller: options.controller, log: options.log });
    this.renewal = new ClientRenewal({ commonName: hostPrincipal(options.hostname), log: options.log }, undefined);
    this.applied = this.state.read<AppliedState>('applied.json') ?? { generation: 0, config_token: null, completed_actions: [] };
    if (options.deploy) {
      this.software = new SoftwareWorker({
        deployer: options.deploy.deployer,
        root: options.deploy.root,
        state: this.state,
        log: options.log,
        blobUrl: (release, sha) => `${options.controller}/api/v1/software/releases/${encodeURIComponent(release)}/blobs/${sha}`,
        headers: () => ({ authorization: `Bearer ${this.credential?.credential ?? ''}` }),
        fetch: () => this.fetchOverLink,
        done: () => this.kick(),
      });
    }
  }

  /** Enrolls if there is no stored credential for this controller; throws a clear error if it cannot. */
  async enroll(): Promise<Credential> {
    const stored = this.state.read<Credential>('credential.json');
    if (stored && stored.hostname === this.options.hostname && !this.options.enrollToken) {
      if (stored.controller !== this.options.controller) {
        // The controller moved (new address): the credential still names this
        // host; if the new controller does not know it, reports say so (401).
        this.options.log.info({ from: stored.controller, to: this.options.controller }, 'controller address changed; keeping the credential');
        this.state.write('credential.json', { ...stored, controller: this.options.controller });
      }
      return this.use({ ...stored, controller: this.options.controller });
    }
    if (!this.options.enrollToken) {
      throw new Error(`no credential in ${this.state.path} for ${this.options.hostname}; give --enroll-token (from "starling host add")`);
    }
    let reply: { hostname: string; host_id: string; credential: string; certificate?: string };
    let tls: Credential['tls'];
    try {
      // The controller's chain is checked against the token's pin before the token is sent.
      // Loaded only to enroll: the X.509 library is not part of a running agent's memory.
      const { prepareEnrollment } = await import('../pki/child-enrollment.js');
      const prepared = await prepareEnrollment(this.options.controller, this.options.enrollToken, hostPrincipal(this.options.hostname), durations.cliRequestTimeoutMs);
      const client = new JsonClient(this.options.controller, prepared.tls ? { ca: prepared.tls.ca } : undefined, prepared.connection);
      try {
        reply = await client.post('/api/v1/agent/enroll', { token: prepared.secret, hostname: this.options.hostname, ...(prepared.csr ? { csr: prepared.csr } : {}) }, { timeoutMs: durations.cliRequestTimeoutMs });
      } finally {
        client.close();
      }
      if (prepared.tls && !reply.certificate) throw new Error('the controller sent no client certificate');
      tls = prepared.tls ? { ...prepared.tls, cert: reply.certificate! } : undefined;
    } catch (err) {
      throw new Error(`enrollment refused by ${this.options.controller}: ${(err as Error).message}`, { cause: err });
    }
    const credential: Credential = { controller: this.options.controller, hostname: reply.hostname, host_id: reply.host_id, credential: reply.credential, ...(tls ? { tls } : {}) };
    // One file of mode 0600: the credential and the private key are written together or not at all.
    this.state.write('credential.json', credential);
    // A new enrollment starts a new history with the controller.
    this.applied = { generation: 0, config_token: null, completed_actions: [] };
    this.state.write('applied.json', this.applied);
    this.options.log.info({ hostname: reply.hostname, controller: this.options.controller, tls: tls !== undefined }, 'enrolled');
    return this.use(credential);
  }

  private use(credential: Credential): Credential {
    this.credential = credential;
    this.renewal = new ClientRenewal({ commonName: hostPrincipal(credential.hostname), log: this.options.log }, credential.renewal);
    this.client.close();
    this.client = new JsonClient(credential.controller, credential.tls);
    this.fetchOverLink = tlsFetch(credential.tls);
    return credential;
  }

  /**
   * Takes the certificate part of a reply: a renewed certificate or new CAs
   * are written with the credential before they are used, and new
   * connections use them; the one holding a long poll finishes on the old.
   */
  private async takeRenewal(reply: Reply, sentWith: string | undefined): Promise<void> {
    const credential = this.credential!;
    const outcome = await this.renewal.take(credential.tls, reply, sentWith);
    if (!outcome.tls && !outcome.pendingChanged) return;
    const next: Credential = { ...credential, ...(outcome.tls ? { tls: outcome.tls } : {}) };
    if (this.renewal.pending) next.renewal = this.renewal.pending;
    else delete next.renewal;
    this.state.write('credential.json', next);
    this.credential = next;
    if (outcome.tls) {
      retireClient(this.client, this.intervalMs + durations.agentRequestMarginMs, this.retiring);
      this.client = new JsonClient(next.controller, next.tls);
      this.fetchOverLink = tlsFetch(next.tls);
    }
    if (outcome.kick) this.kick();
  }

  /** Enrolls, then runs the report loop until stop(). */
  async start(): Promise<void> {
    await this.enroll();
    await this.software?.open();
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pulses.stop();
    this.client.close();
    for (const old of this.retiring) old.close();
    await this.loopDone;
  }

  /** Queues an alarm operation and sends it now rather than at the next report. */
  send(op: AgentOp): void {
    this.queue.push(op);
    this.kick();
  }

  /** An extra, short report beside the held long poll. */
  readonly kick = createKicker(
    () => this.exchange(0),
    () => !this.stopped,
  );

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.exchange(this.intervalMs);
        this.backoff.reset();
        this.failures = 0;
        this.trust.succeeded();
      } catch (err) {
        if (this.stopped) break;
        this.failures++;
        const delay = this.backoff.next();
        this.trust.failed(this.options.controller, err);
        const status = err instanceof HttpError ? ` (HTTP ${err.status})` : '';
        this.options.log.warn({ err: (err as Error).message, retryInMs: delay, failures: this.failures }, `report failed${status}; retrying`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async status(): Promise<AgentStatus> {
    const now = this.now();
    if (!this.inventory || now - this.inventory.at > durations.agentStatsIntervalMs) {
      this.inventory = { value: await this.options.inventory(), at: now };
    }
    const boot = await this.options.driver.boot();
    return {
      boot_id: boot.bootId,
      booted_at: boot.bootedAt,
      agent_version: VERSION,
      inventory: this.inventory.value,
      applied: { generation: this.applied.generation, config_token: this.applied.config_token },
      completed_actions: this.applied.completed_actions,
      ...(this.software ? { software: await this.software.status() } : {}),
    };
  }

  private async exchange(waitMs: number): Promise<void> {
    const credential = this.credential!;
    const status = await this.status();
    const hash = contentToken(status);
    const includeStatus = this.needStatus || hash !== this.ackedHash;
    const now = this.now();
    const stats = this.options.stats && now - this.lastStatsAt >= durations.agentStatsIntervalMs ? await this.options.stats() : undefined;
    const body: Report = {
      seq: ++this.reportSeq,
      status_hash: hash,
      ...(includeStatus ? { status } : {}),
      ...(stats !== undefined ? { stats } : {}),
      ops: this.queue.pending(),
      known_generation: this.knownGeneration,
      wait_ms: waitMs,
      ...this.pulses.fields(),
      ...this.renewal.fields(credential.tls),
    };
    const reply = await this.client.post<Reply>('/api/v1/agent/report', body, { token: credential.credential, timeoutMs: waitMs + durations.agentRequestMarginMs });
    if (includeStatus) this.ackedHash = hash;
    if (stats !== undefined) this.lastStatsAt = now;
    this.needStatus = reply.need_status ?? false;
    this.queue.ack(reply.ack_op_seq);
    this.intervalMs = reply.report_interval_ms;
    if (reply.pulse === null) this.pulses.stop();
    else if (reply.pulse && !this.stopped) await this.pulses.take(reply.pulse);
    await this.inOrder(() => this.takeRenewal(reply, credential.tls?.cert));
    const desired = reply.desired;
    if (desired) await this.inOrder(() => this.applyDesired(desired));
  }

  private async applyDesired(desired: Desired): Promise<void> {
    // A late reply (a kick racing the long poll) must not take the host back.
    if (desired.generation < this.applied.generation) return;
    this.desired = desired;
    if (desired.config_token !== this.applied.config_token && desired.config_token !== this.failedToken) {
      try {
        const result = await this.options.driver.apply(desired.config as HostConfig);
        this.options.log.info({ config_token: desired.config_token, changes: result.changes, rebootRequired: result.rebootRequired }, 'applied host configuration');
        this.applied.config_token = desired.config_token;
      } catch (err) {
        // The applied token stays behind, so the host keeps 250.001; tried again when the configuration changes.
        this.failedToken = desired.config_token;
        this.options.log.error({ err: (err as Error).message, config_token: desired.config_token }, 'could not apply host configuration');
      }
    }
    for (const action of desired.actions) {
      if (this.applied.completed_actions.includes(action.id)) continue;
      this.options.log.info({ action: action.kind, id: action.id }, 'carrying out action');
      // Recorded before acting: a reboot must not be repeated after the agent comes back.
      this.applied.completed_actions = [...this.applied.completed_actions, action.id].slice(-MAX_COMPLETED);
      this.state.write('applied.json', this.applied);
      if (action.kind === 'unlock') {
        // Unlocking re-applies the host's configuration, as StarlingX does.
        try {
          const result = await this.options.driver.apply(desired.config as HostConfig);
          this.options.log.info({ changes: result.changes }, 're-applied host configuration for unlock');
        } catch (err) {
          this.options.log.error({ err: (err as Error).message }, 'could not re-apply host configuration on unlock');
        }
      } else {
        await this.options.driver.act(action.kind);
      }
    }
    this.software?.take(desired.software);
    this.applied.generation = desired.generation;
    this.knownGeneration = desired.generation;
    this.state.write('applied.json', this.applied);
  }
}
