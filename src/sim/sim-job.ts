/**
 * A virtual subcloud's orchestration job: the same job and the same
 * reported states as a real subcloud's (site-job.ts), with the host work
 * simulated. Prestage is real: the release's signed metadata is checked
 * against the keys the subcloud was synced, and every blob is fetched over
 * HTTP from the system controller — with Range resume, the job's bandwidth
 * cap, and a cut whenever the subcloud's simulated link is down — and
 * verified by digest, but counted instead of stored. The deploy itself
 * takes `deployMs` (30 s by default: the benchmark's simulated site
 * rollout), and fails for a seeded share of sites with a simulated
 * health-check failure, so that failure handling can be rehearsed.
 */
import { createHash, type Hash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SiteJob, SiteJobState, SiteJobStatus } from '../protocol/subcloud-wire.js';
import { DownloadError } from '../protocol/resumable-download.js';
import { blobsOf } from '../resources/software/release-metadata.js';
import type { TrustedKey } from '../resources/software/release-signature.js';
import { fetchFailureCause, fetchSignedMetadata, releaseUrl, type FetchSource } from '../uplink/release-fetch.js';
import type { WanLink } from './wan/link-state.js';

export interface SimJobOptions {
  deployMs: number;
  /** Whether this site's deploy fails (decided by the simulator's seeded random). */
  fails: boolean;
  hostnames: string[];
  trusted: () => TrustedKey[];
  link: () => WanLink | undefined;
  /** The release became deployed here. */
  deployed: (releaseId: string) => void;
  changed: () => void;
}

const CHUNK_PACE_MS = 5;

export class SimJob {
  status: SiteJobStatus;
  private stopped = false;
  /** Fetched bytes and running hash per blob, kept across interrupted attempts (resume). */
  private readonly partial = new Map<string, { bytes: number; hash: Hash }>();

  constructor(
    readonly job: SiteJob,
    private source: FetchSource,
    private readonly options: SimJobOptions,
  ) {
    this.status = { key: job.key, state: 'accepted', details: '' };
  }

  retarget(source: FetchSource): void {
    this.source = source;
  }

  stop(): void {
    this.stopped = true;
  }

  private move(state: SiteJobState, details: string, extra: Partial<SiteJobStatus> = {}): void {
    // Fetch progress stays in the status once reached, through the deploy.
    const bytes = this.status.bytes;
    this.status = { key: this.job.key, state, details, ...(bytes ? { bytes } : {}), ...extra };
    this.options.changed();
  }

  async run(alreadyHave: boolean): Promise<void> {
    const { job } = this;
    try {
      if (job.prestage || !alreadyHave) {
        this.move('prestaging', `fetching ${job.release_id} from the system controller [simulated site]`);
        const failure = await this.fetch();
        if (failure) return this.move('failed', `prestage ${job.release_id}: ${failure.evidence}`, { failure });
        if (this.stopped) return;
        if (job.type === 'prestage') return this.move('complete', `${job.release_id} prestaged`);
      }
      const hosts = this.options.hostnames;
      const total = 6 + hosts.length * 2;
      this.move('applying', `sw-upgrade-controllers: upgrade-hosts ${hosts[0] ?? ''} [simulated]`, { steps: { done: 3, total } });
      await sleep(this.options.deployMs);
      if (this.stopped) return;
      if (this.options.fails) {
        const where = `upgrade-hosts ${hosts[0] ?? 'controller-0'}`;
        const evidence = `deploy failed on ${hosts[0] ?? 'controller-0'}: health check failed after the switch; rolled back to the previous deployment [simulated]`;
        return this.move('failed', `${where}: ${evidence}`, { failure: { cause: 'host-deploy-failed', where, evidence } });
      }
      this.options.deployed(job.release_id);
      this.move('complete', `${job.release_id} deployed [simulated]`, { steps: { done: total, total } });
    } catch (err) {
      this.move('failed', (err as Error).message, { failure: { cause: 'prestage-failed', where: `prestage ${job.release_id}`, evidence: (err as Error).message } });
    }
  }

  /** Fetches until every blob is whole and verified; returns a failure that retrying will not mend. */
  private async fetch(): Promise<SiteJobStatus['failure'] | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      try {
        return await this.fetchOnce();
      } catch (err) {
        // Link trouble: resume from the bytes reached once the link is back.
        this.status = { ...this.status, details: `fetch interrupted, resuming: ${(err as Error).message}` };
        await sleep(1000);
      }
    }
  }

  private async fetchOnce(): Promise<SiteJobStatus['failure'] | undefined> {
    const { base, headers } = releaseUrl(this.source, this.job.release_id);
    this.linkUp();
    let blobs: Array<[string, number]>;
    try {
      blobs = [...blobsOf((await fetchSignedMetadata(this.source, this.job.release_id, this.options.trusted())).meta).entries()];
    } catch (err) {
      if (err instanceof DownloadError && err.retryable) throw err;
      return { cause: fetchFailureCause(err), where: `prestage ${this.job.release_id}`, evidence: (err as Error).message };
    }
    const total = blobs.reduce((t, [, size]) => t + size, 0);
    const rate = this.job.bytes_per_second;
    let reported = -1;
    const progress = () => {
      const done = [...this.partial.values()].reduce((t, p) => t + p.bytes, 0);
      const pct = total ? Math.floor((done * 100) / total) : 100;
      if (pct === reported) return;
      reported = pct;
      this.status = { ...this.status, details: `fetching ${this.job.release_id}: ${pct}%`, bytes: { done, total } };
      this.options.changed();
    };
    for (const [sha256, size] of blobs) {
      let part = this.partial.get(sha256);
      if (!part) this.partial.set(sha256, (part = { bytes: 0, hash: createHash('sha256') }));
      if (part.bytes >= size) continue;
      this.linkUp();
      const got = await (this.source.fetch ?? fetch)(`${base}/blobs/${sha256}`, { headers: { ...headers, ...(part.bytes ? { range: `bytes=${part.bytes}-` } : {}) } });
      if (got.status !== 200 && got.status !== 206) throw new Error(`blob ${sha256}: HTTP ${got.status}`);
      if (part.bytes && got.status === 200) part = { bytes: 0, hash: createHash('sha256') };
      this.partial.set(sha256, part);
      const started = Date.now();
      let transferred = 0;
      for await (const chunk of got.body as unknown as AsyncIterable<Uint8Array>) {
        if (this.stopped) return undefined;
        this.linkUp();
        part.hash.update(chunk);
        part.bytes += chunk.length;
        transferred += chunk.length;
        progress();
        if (rate) {
          const ahead = (transferred / rate) * 1000 - (Date.now() - started);
          if (ahead > CHUNK_PACE_MS) await sleep(ahead);
        }
      }
      if (part.bytes < size) throw new Error(`blob ${sha256}: ended at ${part.bytes} of ${size} bytes`);
      if (part.hash.digest('hex') !== sha256) {
        this.partial.delete(sha256);
        return { cause: 'content-corrupt', where: `prestage ${this.job.release_id}`, evidence: `blob ${sha256} does not match its digest; discarded` };
      }
    }
    progress();
    return undefined;
  }

  private linkUp(): void {
    const link = this.options.link();
    if (link && !link.isUp()) throw new Error('link down');
  }
}
