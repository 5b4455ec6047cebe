/**
 * A subcloud's side of fleet orchestration: it carries out the job its
 * system controller puts in its desired state — fetch the release
 * (prestage), create a site sw-deploy strategy for it, apply it, follow it,
 * delete it when applied — and reports how far it got in its status.
 *
 * The job and its state are one settings row, written at each change of
 * phase, and `tick()` is level-triggered from that row: after a kill -9 the
 * next tick carries on — a fetch resumes from the bytes on disk, a site
 * strategy already created is not created again (it resumes from its own
 * row). A job is known by its key, so the same job sent again (the system
 * controller restarted, a reply was lost) is not started twice.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { durations } from '../core/durations.js';
import type { Logger } from '../core/logging.js';
import type { Schema } from '../db/schema.js';
import type { SiteJob, SiteJobState, SiteJobStatus } from '../protocol/subcloud-wire.js';
import { DownloadError } from '../protocol/resumable-download.js';
import type { BlobStore } from '../resources/software/blob-store.js';
import type { ReleaseService } from '../resources/software/release.service.js';
import { DEPLOYED_STATES } from '../resources/sync/software.js';
import type { Step } from '../resources/strategies/sw-strategy.plan.js';
import type { StrategyView, SwStrategyService } from '../resources/strategies/sw-strategy.service.js';
import { fetchFailureCause, fetchRelease, type FetchSource } from './release-fetch.js';

const KEY = 'site_job';
type Failure = NonNullable<SiteJobStatus['failure']>;

interface JobRecord {
  job: SiteJob;
  source: FetchSource;
  status: SiteJobStatus;
}

/** Why a site strategy step fails, by step: the cause code the system controller groups by. */
const STEP_CAUSE: Record<Step['name'], string> = {
  'query-alarms': 'alarms-blocking',
  'sw-deploy-precheck': 'precheck-failed',
  'start-upgrade': 'deploy-start-failed',
  'lock-hosts': 'host-lock-failed',
  'upgrade-hosts': 'host-deploy-failed',
  'unlock-hosts': 'host-unlock-failed',
  'system-stabilize': 'hosts-not-available',
  'activate-upgrade': 'activate-failed',
  'complete-upgrade': 'activate-failed',
  'sw-deploy-delete': 'deploy-delete-failed',
};

export const TERMINAL_JOB_STATES: readonly SiteJobState[] = ['complete', 'failed'];

export interface SiteJobDeps {
  db: Kysely<Schema>;
  clock: Clock;
  log: Logger;
  releases: ReleaseService;
  store: BlobStore;
  strategy: SwStrategyService;
}

export class SiteJobRunner {
  private record: JobRecord | undefined;
  private loaded = false;
  private running: Promise<void> | undefined;
  private again = false;
  private fetching: AbortController | undefined;
  private retryAt = 0;
  /** The uplink's TLS fetch from the latest desired state (a function: never stored with the job). */
  private liveFetch: typeof fetch | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: SiteJobDeps) {}

  private async load(): Promise<JobRecord | undefined> {
    if (!this.loaded) {
      const row = await this.deps.db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
      this.record = row ? (JSON.parse(row.value) as JobRecord) : undefined;
      this.loaded = true;
    }
    return this.record;
  }

  private async save(record: JobRecord | undefined): Promise<void> {
    const { db } = this.deps;
    if (!record) await db.deleteFrom('settings').where('key', '=', KEY).execute();
    else {
      const value = JSON.stringify(record);
      await db.insertInto('settings').values({ key: KEY, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    }
    this.record = record;
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** Called on each change of the reported status (the uplink reports it at once). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The job's progress for the status report; undefined without a job. */
  async status(): Promise<SiteJobStatus | undefined> {
    return (await this.load())?.status;
  }

  /**
   * The job from the desired state. A new key replaces a finished job (an
   * unfinished one too: the system controller moved on); the same key only
   * refreshes where to fetch from. No job: a finished one is forgotten.
   */
  async take(job: SiteJob | undefined, source: FetchSource): Promise<void> {
    const current = await this.load();
    this.liveFetch = source.fetch;
    if (!job) {
      if (current && TERMINAL_JOB_STATES.includes(current.status.state)) await this.save(undefined);
      return;
    }
    if (current?.job.key === job.key) {
      if (current.source.url !== source.url || current.source.token !== source.token) await this.save({ ...current, source: { url: source.url, token: source.token } });
      return;
    }
    this.fetching?.abort();
    this.retryAt = 0;
    this.deps.log.info({ key: job.key, type: job.type, release: job.release_id }, 'orchestration job from the system controller');
    await this.save({ job, source: { url: source.url, token: source.token }, status: { key: job.key, state: 'accepted', details: '' } });
    this.kick();
  }

  /** Runs a tick now (or right after the one running). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.tick()
      .catch((err: unknown) => this.deps.log.error({ err }, 'orchestration job tick failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for a tick in progress (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.fetching?.abort();
  }

  private async move(record: JobRecord, state: SiteJobState, details: string, extra: Partial<SiteJobStatus> = {}): Promise<void> {
    // Fetch progress stays in the status once reached, through the deploy.
    const bytes = (this.record ?? record).status.bytes;
    const status: SiteJobStatus = { key: record.job.key, state, details: details.slice(0, 2000), ...(bytes ? { bytes } : {}), ...extra };
    if (JSON.stringify(status) === JSON.stringify(record.status)) return;
    if (state !== record.status.state) this.deps.log.info({ key: record.job.key, state, details }, 'orchestration job moved');
    await this.save({ ...record, status });
  }

  private fail(record: JobRecord, failure: Failure): Promise<void> {
    return this.move(record, 'failed', `${failure.where}: ${failure.evidence}`.slice(0, 2000), { failure: { ...failure, evidence: failure.evidence.slice(0, 2000) } });
  }

  /** One level-triggered step of the job, from its row. */
  async tick(): Promise<void> {
    const record = await this.load();
    if (!record || TERMINAL_JOB_STATES.includes(record.status.state)) return;
    const { job } = record;
    switch (record.status.state) {
      case 'accepted': {
        const present = await this.releaseState(job.release_id);
        if (job.prestage || !present) return this.move(record, 'prestaging', `fetching ${job.release_id} from the system controller`);
        return this.move(record, 'creating', `creating the site sw-deploy strategy for ${job.release_id}`);
      }
      case 'prestaging':
        return this.prestage(record);
      case 'creating':
        return this.create(record);
      case 'applying':
        return this.follow(record);
      case 'finishing': {
        const s = await this.deps.strategy.show().catch(() => undefined);
        if (s && s.options.release === job.release_id) await this.deps.strategy.delete();
        return this.move(record, 'complete', `${job.release_id} deployed`);
      }
    }
  }

  private async releaseState(id: string): Promise<string | undefined> {
    return (await this.deps.db.selectFrom('releases').select('state').where('id', '=', id).executeTakeFirst())?.state;
  }

  private async prestage(record: JobRecord): Promise<void> {
    const { job } = record;
    if (this.deps.clock.now() < this.retryAt) return;
    const abort = new AbortController();
    this.fetching = abort;
    let reported = -1;
    try {
      if (!(await this.releaseState(job.release_id))) {
        await fetchRelease({
          db: this.deps.db,
          store: this.deps.store,
          releases: this.deps.releases,
          source: { ...record.source, ...(this.liveFetch ? { fetch: this.liveFetch } : {}) },
          releaseId: job.release_id,
          ...(job.bytes_per_second ? { bytesPerSecond: job.bytes_per_second } : {}),
          signal: abort.signal,
          progress: (done, total) => {
            // Whole percents: the status (and a report) changes at most a hundred times.
            const pct = total ? Math.floor((done * 100) / total) : 100;
            if (pct === reported || !this.record) return;
            reported = pct;
            this.record = { ...this.record, status: { ...this.record.status, details: `fetching ${job.release_id}: ${pct}%`, bytes: { done, total } } };
            this.changed();
          },
        });
      }
    } catch (err) {
      if (abort.signal.aborted) return;
      const message = (err as Error).message;
      if (err instanceof DownloadError && err.retryable) {
        this.retryAt = this.deps.clock.now() + durations.prestageRetryMs;
        this.deps.log.warn({ release: job.release_id, err: message }, 'prestage: fetch interrupted; resuming later from the bytes reached');
        return this.move(this.record ?? record, 'prestaging', `fetch interrupted, resuming: ${message}`);
      }
      return this.fail(record, { cause: fetchFailureCause(err), where: `prestage ${job.release_id}`, evidence: message });
    } finally {
      if (this.fetching === abort) this.fetching = undefined;
    }
    const current = this.record ?? record;
    if (current.job.key !== job.key) return;
    if (job.type === 'prestage') return this.move(current, 'complete', `${job.release_id} prestaged`);
    return this.move(current, 'creating', `creating the site sw-deploy strategy for ${job.release_id}`);
  }

  private async create(record: JobRecord): Promise<void> {
    const { job } = record;
    const { strategy } = this.deps;
    const state = await this.releaseState(job.release_id);
    if (state && (DEPLOYED_STATES as readonly string[]).includes(state)) return this.move(record, 'complete', `${job.release_id} is already deployed here`);
    const existing = await strategy.show().catch(() => undefined);
    if (existing && existing.options.release === job.release_id && (existing.state === 'ready-to-apply' || existing.state === 'applying')) {
      // Created before a restart: carry on with it.
      if (existing.state === 'ready-to-apply') await strategy.apply();
      return this.move(record, 'applying', 'applying the site sw-deploy strategy');
    }
    if (existing) {
      if (existing.state === 'applying' || existing.state === 'aborting') {
        return this.fail(record, { cause: 'strategy-busy', where: 'create sw-deploy strategy', evidence: `another site strategy (for ${existing.options.release}) is ${existing.state}` });
      }
      await strategy.delete();
    }
    const created = await strategy.create({ release: job.release_id, ...job.strategy });
    if (created.state === 'build-failed') return this.fail(record, { cause: 'strategy-build-failed', where: 'create sw-deploy strategy', evidence: created.reason });
    await strategy.apply();
    return this.move(record, 'applying', 'applying the site sw-deploy strategy', { steps: created.progress });
  }

  private async follow(record: JobRecord): Promise<void> {
    const s = await this.deps.strategy.show().catch(() => undefined);
    if (!s || s.options.release !== record.job.release_id) {
      return this.fail(record, { cause: 'strategy-deleted', where: 'apply sw-deploy strategy', evidence: 'the site sw-deploy strategy was deleted while it applied' });
    }
    if (s.state === 'applied') return this.move(record, 'finishing', 'site sw-deploy strategy applied; deleting it', { steps: s.progress });
    if (s.state === 'applying' || s.state === 'aborting') {
      const at = s.current ? `${s.current.stage}: ${s.current.step}${s.current.entity_names.length ? ` ${s.current.entity_names.join(',')}` : ''}` : s.state;
      return this.move(record, 'applying', at, { steps: s.progress });
    }
    return this.fail(record, this.failureOf(s));
  }

  private failureOf(s: StrategyView): Failure {
    const failed = s.stages.flatMap((st) => st.steps).find((st) => st.result === 'failed' || st.result === 'timed-out');
    if (!failed) return { cause: s.state === 'aborted' ? 'strategy-aborted' : 'strategy-failed', where: 'apply sw-deploy strategy', evidence: s.reason || `the site strategy ended ${s.state}` };
    const where = [failed.name, failed.entity_names.join(',')].filter(Boolean).join(' ');
    return { cause: failed.result === 'timed-out' ? 'site-step-timeout' : STEP_CAUSE[failed.name], where, evidence: failed.reason || s.reason };
  }
}
