/**
 * The agent's software work: carries out the software target in its
 * desired state (deploy a release, or roll back from one) in the
 * background, so that a long download never stops the heartbeat, and keeps
 * the outcome (state folder, software.json) to report until a new target
 * comes. A target is recognised by its key: after a restart the same target
 * arrives again and is carried out again — staging is idempotent and a
 * switch to the release already running is a no-op.
 */
import { statfs } from 'node:fs/promises';
import type { Logger } from '../../core/logging.js';
import type { SoftwareStatus, SoftwareTarget } from '../../protocol/agent-wire.js';
import { downloadBlob } from '../../protocol/resumable-download.js';
import type { StateDir } from '../state-dir.js';
import type { Deployer } from './deployer.js';

type Result = NonNullable<SoftwareStatus['result']>;

export class SoftwareWorker {
  private result: Result | undefined;
  private busy: string | undefined;

  constructor(
    private readonly deps: {
      deployer: Deployer;
      state: StateDir;
      log: Logger;
      /** Where deployments live (for free space). */
      root: string;
      /** The blob URL of a release on the site controller, and the agent's auth header. */
      blobUrl: (releaseId: string, sha256: string) => string;
      headers: () => Record<string, string>;
      /** fetch over the agent's TLS link. @default global fetch */
      fetch?: () => typeof fetch;
      /** Told when an outcome is ready to report. */
      done: () => void;
    },
  ) {
    this.result = deps.state.read<{ result?: Result }>('software.json')?.result;
  }

  async open(): Promise<void> {
    const opened = await this.deps.deployer.open();
    if ('recovered' in opened && opened.recovered) this.deps.log.warn({ recovered: opened.recovered }, 'software deploy recovered at start');
  }

  async status(): Promise<SoftwareStatus> {
    const { running, previous } = this.deps.deployer.state();
    let free = 0;
    try {
      const fs = await statfs(this.deps.root);
      // In 64 MiB steps: the status (and its hash) should not change with every write to the disk.
      const step = 64 * 1024 * 1024;
      free = Math.floor((Number(fs.bavail) * Number(fs.bsize)) / step) * step;
    } catch {
      // not created yet: reported as 0
    }
    return { driver: this.deps.deployer.name, running, previous, free_bytes: free, ...(this.result ? { result: this.result } : {}) };
  }

  /** Starts the target unless it was done already or is under way. */
  take(target: SoftwareTarget | null | undefined): void {
    if (!target || this.result?.key === target.key || this.busy === target.key) return;
    this.busy = target.key;
    void this.run(target).finally(() => {
      this.busy = undefined;
      this.deps.done();
    });
  }

  private async run(target: SoftwareTarget): Promise<void> {
    const { deployer, log } = this.deps;
    let result: Result;
    try {
      if (target.action === 'deploy') {
        const release = { id: target.release_id, files: target.files, health_check: target.health_check };
        log.info({ release: target.release_id, files: target.files.length }, 'staging release');
        await deployer.stage(release, async (file, dest) => {
          await downloadBlob({ url: this.deps.blobUrl(target.release_id, file.sha256), headers: this.deps.headers(), dest, sha256: file.sha256, size: file.size, ...(this.deps.fetch ? { fetch: this.deps.fetch() } : {}) });
        });
        const out = await deployer.activate(release);
        result = { key: target.key, ok: out.ok, ...(out.evidence ? { evidence: out.evidence.slice(-4000) } : {}) };
      } else {
        // Only if the host still runs the release being rolled back.
        const out = deployer.state().running === target.release_id ? await deployer.rollback() : { ok: true };
        result = { key: target.key, ok: out.ok };
      }
    } catch (err) {
      result = { key: target.key, ok: false, evidence: `${target.action} of ${target.release_id} failed: ${(err as Error).message}`.slice(0, 4000) };
    }
    log[result.ok ? 'info' : 'error']({ release: target.release_id, action: target.action, ok: result.ok, evidence: result.evidence }, 'software target carried out');
    this.result = result;
    this.deps.state.write('software.json', { result });
  }
}
