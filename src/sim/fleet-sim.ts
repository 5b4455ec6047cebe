/**
 * The fleet simulator: N virtual subclouds (each with K hosts) that a real
 * system controller cannot tell from real ones. It adds them through the
 * system controller's API with the operator's token, enrolls each with its
 * own token, and runs each one's uplink — the same code a real subcloud
 * runs — over real HTTP, behind its own simulated WAN link. Operators use it
 * to rehearse a rollout against a copy of their fleet's shape; benchmarks
 * and tests use it to bring up thousands of sites from one process.
 */
import { HttpError } from '../agent/http.js';
import { silentLogger, type Logger } from '../core/logging.js';
import { SubcloudUplink } from '../uplink/subcloud-uplink.js';
import { memoryUplinkStore } from '../uplink/uplink-store.js';
import { VirtualSubcloud } from './virtual-subcloud.js';
import { tlsFetch } from '../pki/tls-fetch.js';
import type { EnrollmentKey } from '../pki/child-enrollment.js';
import { impairedFetch, seededRandom, WanLink, type Random, type WanProfile } from './wan/index.js';

export const SIMULATED_MARK = '[simulated]';

export interface FleetSimOptions {
  controller: string;
  /** An operator's or admin's session or API token on the system controller. */
  token: string;
  /** The system controller's CA (PEM) for the simulator's own API calls; the virtual subclouds pin it from their enroll tokens. */
  ca?: string;
  subclouds: number;
  hostsPerSubcloud: number;
  profile: WanProfile;
  seed: string | number;
  /** Names are PREFIX-00001 ...; several simulator processes need different prefixes. */
  prefix: string;
  group?: string;
  /** Alarm raises/clears per subcloud per hour. */
  alarmChurnPerHour: number;
  /** Enrollments and adds in flight at once. */
  concurrency?: number;
  /** A simulated deploy's duration (default 30 s) and the share of deploys that fail (default 0). */
  deployMs?: number;
  deployFailRate?: number;
  /** Reconnect backoff for the uplinks (default: the product's). */
  backoff?: { baseMs: number; capMs: number };
  log?: Logger;
}

export interface SimSite {
  name: string;
  site: VirtualSubcloud;
  link: WanLink;
  uplink: SubcloudUplink;
}

export class FleetSimulator {
  readonly sites: SimSite[] = [];
  private readonly random: Random;
  private churnTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Subclouds the simulator could not bring up, with the reason. */
  readonly failed: Array<{ name: string; reason: string }> = [];

  private readonly fetchApi: typeof fetch;
  /** One client key for every virtual site (see UplinkOptions.enrollmentKey). */
  private sharedKey: Promise<EnrollmentKey> | undefined;

  constructor(private readonly options: FleetSimOptions) {
    this.random = seededRandom(options.seed);
    this.fetchApi = tlsFetch(options.ca ? { ca: options.ca } : undefined);
  }

  nameOf(i: number): string {
    return `${this.options.prefix}-${String(i + 1).padStart(5, '0')}`;
  }

  private async api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await this.fetchApi(`${this.options.controller.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Adds the subcloud (replacing an earlier simulated one of that name) and returns its enroll token. */
  private async add(name: string): Promise<string> {
    const body = { name, description: `${SIMULATED_MARK} virtual subcloud (starling sim)`, location: 'simulated', ...(this.options.group ? { group: this.options.group } : {}) };
    let res = await this.api<{ enroll_token?: string; message?: string }>('POST', '/api/v1/subclouds', body);
    if (res.status === 409) {
      const existing = await this.api<{ description: string; management_state: string }>('GET', `/api/v1/subclouds/${name}`);
      // Not a name taken but a refusal (a controller that is not a system controller): say why.
      if (existing.status === 404) throw new Error(`cannot add subcloud ${name}: HTTP 409 ${res.body?.message ?? ''}`);
      if (!existing.body?.description?.startsWith(SIMULATED_MARK)) throw new Error(`subcloud ${name} exists and is not simulated; choose another --prefix`);
      if (existing.body.management_state === 'managed') await this.api('POST', `/api/v1/subclouds/${name}/unmanage`, {});
      await this.api('DELETE', `/api/v1/subclouds/${name}`);
      res = await this.api('POST', '/api/v1/subclouds', body);
    }
    if (res.status !== 201 || !res.body?.enroll_token) throw new Error(`cannot add subcloud ${name}: HTTP ${res.status} ${res.body?.message ?? ''}`);
    return res.body.enroll_token;
  }

  /** Enroll tokens by index, from prepare(). */
  private readonly tokens = new Map<number, string>();

  private async bringUp(i: number): Promise<void> {
    const name = this.nameOf(i);
    const random = this.random.fork(name);
    const link = new WanLink({ profile: this.options.profile, random: random.fork('link') });
    const site = new VirtualSubcloud(name, this.options.hostsPerSubcloud, random.fork('site'), {
      link,
      ...(this.options.deployMs !== undefined ? { deployMs: this.options.deployMs } : {}),
      ...(this.options.deployFailRate !== undefined ? { deployFailRate: this.options.deployFailRate } : {}),
    });
    const backoffRandom = random.fork('backoff');
    const token = this.tokens.get(i) ?? (await this.add(name));
    this.tokens.delete(i);
    const uplink = new SubcloudUplink({
      site,
      store: memoryUplinkStore(),
      controller: this.options.controller,
      enrollToken: token,
      log: this.options.log ?? silentLogger(),
      transport: impairedFetch(link),
      random: () => backoffRandom.next(),
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      enrollmentKey: () => (this.sharedKey ??= import('../pki/child-enrollment.js').then((m) => m.enrollmentKey())),
    });
    // As a real subcloud does, it keeps trying while its link is down or the
    // system controller is busy; only a refused token is final.
    for (let attempt = 1; ; attempt++) {
      try {
        await uplink.start();
        break;
      } catch (err) {
        const cause = (err as Error).cause;
        if (this.stopped || (cause instanceof HttpError && cause.status < 500)) throw err;
        const upAt = link.isUp() ? undefined : link.nextChangeAt();
        const wait = upAt !== undefined ? upAt - Date.now() + 50 : Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * backoffRandom.next();
        await new Promise((r) => setTimeout(r, Math.max(10, wait)));
      }
    }
    this.sites.push({ name, site, link, uplink });
  }

  private async pool(work: (i: number) => Promise<void>, onProgress?: (done: number, failed: number) => void): Promise<void> {
    const total = this.options.subclouds;
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (!this.stopped && next < total) {
        const i = next++;
        try {
          await work(i);
          done++;
        } catch (err) {
          this.failed.push({ name: this.nameOf(i), reason: (err as Error).message });
        }
        onProgress?.(done, this.failed.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(total, this.options.concurrency ?? 32) }, worker));
  }

  /** Adds every subcloud on the system controller (the operator's step), keeping their tokens for start(). */
  async prepare(onProgress?: (added: number, failed: number) => void): Promise<void> {
    await this.pool(async (i) => void this.tokens.set(i, await this.add(this.nameOf(i))), onProgress);
  }

  /** Adds (unless prepared) and enrolls every subcloud; resolves when all have started reporting. */
  async start(onProgress?: (started: number, failed: number) => void): Promise<void> {
    const failedBefore = new Set(this.failed.map((f) => f.name));
    await this.pool(async (i) => {
      if (failedBefore.has(this.nameOf(i))) throw new Error(this.failed.find((f) => f.name === this.nameOf(i))!.reason);
      await this.bringUp(i);
    }, onProgress);
    this.startChurn();
  }

  private startChurn(): void {
    const perSecond = this.options.alarmChurnPerHour / 3600;
    if (perSecond <= 0) return;
    const churn = this.random.fork('churn');
    this.churnTimer = setInterval(() => {
      for (const s of this.sites) if (churn.next() < perSecond) s.site.churn();
    }, 1000);
    this.churnTimer.unref();
  }

  /** Subclouds whose last exchange with the system controller succeeded. */
  get connected(): number {
    return this.sites.filter((s) => s.uplink.delivered > 0 && s.uplink.failures === 0).length;
  }

  /** Subclouds not connected now, by why their last exchange failed (at most `max` reasons, most common first). */
  laggards(max = 5): { count: number; reasons: Array<{ reason: string; count: number }> } {
    const reasons = new Map<string, number>();
    let count = 0;
    for (const s of this.sites) {
      if (s.uplink.failures === 0) continue;
      count++;
      const reason = s.uplink.lastError ?? 'unknown';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    return { count, reasons: [...reasons].sort((a, b) => b[1] - a[1]).slice(0, max).map(([reason, n]) => ({ reason, count: n })) };
  }

  /** Cuts the links of the first `count` subclouds (or those named). */
  cut(which: number | string[]): SimSite[] {
    const chosen = typeof which === 'number' ? this.sites.slice(0, which) : this.sites.filter((s) => which.includes(s.name));
    for (const s of chosen) s.link.cut();
    return chosen;
  }

  restore(which?: SimSite[]): void {
    for (const s of which ?? this.sites) s.link.restore();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.churnTimer) clearInterval(this.churnTimer);
    await Promise.all(this.sites.map((s) => s.uplink.stop()));
  }

  /** Deletes this simulator's subclouds from the system controller. */
  async remove(): Promise<number> {
    let removed = 0;
    for (const s of this.sites) {
      const shown = await this.api<{ management_state: string }>('GET', `/api/v1/subclouds/${s.name}`);
      if (shown.body?.management_state === 'managed') await this.api('POST', `/api/v1/subclouds/${s.name}/unmanage`, {});
      if ((await this.api('DELETE', `/api/v1/subclouds/${s.name}`)).status === 204) removed++;
    }
    return removed;
  }
}
