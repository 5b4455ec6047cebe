/**
 * A simulated subcloud: its hosts, active alarms, event sequence and synced
 * content kept in memory, behind the same SiteSource a real subcloud's
 * database provides, so its uplink speaks the protocol exactly as a real one
 * does. It raises and clears alarms at a seeded, configurable rate, and
 * applies synced endpoint content (so `in-sync` is earned, not assumed).
 * It carries out orchestration jobs (sim-job.ts): a real prestage fetch,
 * a simulated deploy.
 */
import { VERSION } from '../core/version.js';
import type { QueuedOp } from '../protocol/op-queue.js';
import type { SiteJob, SubcloudOp, SubcloudStatus } from '../protocol/subcloud-wire.js';
import type { TrustedKey } from '../resources/software/release-signature.js';
import type { FetchSource } from '../uplink/release-fetch.js';
import { SimJob } from './sim-job.js';
import type { WanLink } from './wan/link-state.js';
import { SYNC_ENDPOINTS } from '../resources/sync/endpoints.js';
import { EMPTY_PLATFORM } from '../resources/sync/platform.js';
import type { AlarmSnapshot, SiteSource } from '../uplink/site-source.js';
import type { Random } from './wan/random.js';

/** Alarms a simulated site raises, as real sites most often do. */
const CHURN: ReadonlyArray<Omit<SubcloudOp, 'kind' | 'entity_instance_id'> & { entity: (host: string) => string }> = [
  { alarm_id: '100.101', severity: 'major', reason_text: 'Platform CPU threshold exceeded; threshold 90%, actual 94% [simulated]', entity: (h) => `host=${h}` },
  { alarm_id: '100.103', severity: 'major', reason_text: 'Memory threshold exceeded; threshold 90%, actual 92% [simulated]', entity: (h) => `host=${h}.memory=platform` },
  { alarm_id: '100.104', severity: 'critical', reason_text: 'File System threshold exceeded; threshold 90%, actual 97% [simulated]', entity: (h) => `host=${h}.filesystem=/var/log` },
  { alarm_id: '100.114', severity: 'major', reason_text: 'NTP configuration does not contain any valid or reachable NTP servers [simulated]', entity: (h) => `host=${h}.ntp` },
];

/** Events kept for delta sync; older ones are dropped and a snapshot is sent instead. */
const EVENT_WINDOW = 2000;

export interface VirtualSubcloudOptions {
  /** How long a simulated deploy takes (default 30 s). */
  deployMs?: number;
  /** Share of deploys that fail with a simulated health-check failure (0..1, seeded). */
  deployFailRate?: number;
  /** The subcloud's simulated link: a prestage fetch is cut while it is down. */
  link?: WanLink;
}

export class VirtualSubcloud implements SiteSource {
  private readonly alarms = new Map<string, SubcloudOp>();
  private readonly events: Array<QueuedOp<SubcloudOp>> = [];
  private seq = 0;
  private readonly held = new Map<string, unknown>([
    ['identity', { users: [] }],
    ['platform', { ...EMPTY_PLATFORM, release_keys: [] }],
    ['software', { releases: [] }],
  ]);
  private readonly listeners = new Set<() => void>();
  readonly hostnames: string[];
  private job: SimJob | undefined;
  /** Releases fetched here (prestaged). */
  private readonly present = new Set<string>();

  constructor(
    readonly name: string,
    hosts: number,
    private readonly random: Random,
    private readonly options: VirtualSubcloudOptions = {},
  ) {
    this.hostnames = Array.from({ length: hosts }, (_, i) => (i < 2 ? `controller-${i}` : `worker-${i - 2}`));
  }

  /** Release ids deployed here. */
  get deployed(): string[] {
    return (this.held.get('software') as { releases: string[] }).releases;
  }

  get jobStatus() {
    return this.job?.status;
  }

  async orchestrate(job: SiteJob | undefined, source: FetchSource): Promise<void> {
    if (!job) {
      if (this.job && (this.job.status.state === 'complete' || this.job.status.state === 'failed')) this.job = undefined;
      return;
    }
    if (this.job?.job.key === job.key) return this.job.retarget(source);
    this.job?.stop();
    const fails = this.random.next() < (this.options.deployFailRate ?? 0);
    const run = new SimJob(job, source, {
      deployMs: this.options.deployMs ?? 30_000,
      fails,
      hostnames: this.hostnames,
      trusted: () => (this.held.get('platform') as { release_keys: TrustedKey[] }).release_keys,
      link: () => this.options.link,
      deployed: (id) => {
        this.present.add(id);
        this.held.set('software', { releases: [...new Set([...this.deployed, id])].sort() });
      },
      changed: () => this.notify(),
    });
    this.job = run;
    const have = this.present.has(job.release_id) || this.deployed.includes(job.release_id);
    void run.run(have).then(() => {
      if (job.type === 'prestage' && run.status.state === 'complete') this.present.add(job.release_id);
    });
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  raise(op: Omit<SubcloudOp, 'kind'>): void {
    this.record({ ...op, kind: 'raise', timestamp: Date.now() });
  }

  clear(alarm_id: string, entity_instance_id: string): void {
    if (this.alarms.has(`${alarm_id} ${entity_instance_id}`)) this.record({ kind: 'clear', alarm_id, entity_instance_id });
  }

  get activeAlarms(): number {
    return this.alarms.size;
  }

  /** One step of alarm churn: raises an alarm on a random host, or clears one (seeded). */
  churn(): void {
    const active = [...this.alarms.values()];
    if (active.length && this.random.next() < 0.5) {
      const pick = active[Math.floor(this.random.next() * active.length)]!;
      return this.clear(pick.alarm_id, pick.entity_instance_id);
    }
    const kind = CHURN[Math.floor(this.random.next() * CHURN.length)]!;
    const host = this.hostnames[Math.floor(this.random.next() * this.hostnames.length)]!;
    this.raise({ alarm_id: kind.alarm_id, entity_instance_id: kind.entity(host), severity: kind.severity!, reason_text: kind.reason_text!, mgmt_affecting: kind.severity === 'critical' });
  }

  private record(op: SubcloudOp): void {
    const key = `${op.alarm_id} ${op.entity_instance_id}`;
    if (op.kind === 'raise') this.alarms.set(key, op);
    else this.alarms.delete(key);
    this.events.push({ seq: ++this.seq, op });
    if (this.events.length > EVENT_WINDOW) this.events.splice(0, this.events.length - EVENT_WINDOW);
    this.notify();
  }

  async snapshot(): Promise<AlarmSnapshot> {
    return { up_to_seq: this.seq, alarms: [...this.alarms.values()] };
  }

  async opsAfter(seq: number, max: number): Promise<{ ops: Array<QueuedOp<SubcloudOp>>; gap: boolean }> {
    const first = this.events[0]?.seq;
    const gap = first !== undefined && first > seq + 1;
    return { ops: gap ? [] : this.events.filter((e) => e.seq > seq).slice(0, max), gap };
  }

  async status(): Promise<SubcloudStatus> {
    const endpoints: Record<string, string> = {};
    for (const ep of SYNC_ENDPOINTS) endpoints[ep.type] = ep.hash(this.held.get(ep.type));
    const n = this.hostnames.length;
    const orchestration = this.job?.status;
    return { software_version: VERSION, hosts: { total: n, available: n, degraded: 0, failed: 0, offline: 0 }, endpoints, releases: this.deployed, ...(orchestration ? { orchestration } : {}) };
  }

  async apply(endpoint: string, content: unknown): Promise<void> {
    const ep = SYNC_ENDPOINTS.find((e) => e.type === endpoint);
    if (!ep) throw new Error(`unknown sync endpoint ${endpoint}`);
    if (!ep.apply) throw new Error(`${endpoint} content is not synced by applying it (it is orchestrated); not applied`);
    if (!ep.valid(content)) throw new Error(`${endpoint} content from the system controller is not valid; not applied`);
    this.held.set(endpoint, content);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
