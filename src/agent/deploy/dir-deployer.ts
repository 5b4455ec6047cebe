/**
 * Real A/B deployments in a folder (`starling agent --deploy-driver dir
 * --deploy-root DIR`):
 *
 *   DIR/deployments/<release>/   whole trees, one per release kept
 *   DIR/current -> deployments/<release>   what the host runs
 *   DIR/blobs/<sha256>           downloads in progress (resumed by Range)
 *   DIR/staging/<release>/       a tree being assembled
 *   DIR/state.json               running, previous, and a switch in progress
 *
 * A tree appears under deployments/ only by a rename once every file is in
 * place and verified. The switch replaces the `current` link by a rename
 * (atomic). state.json records the switch before it happens; if the agent
 * dies before the health check passes, `open()` switches back — an update
 * counts only once it proved healthy. Only the running and previous trees
 * are kept.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { durations } from '../../core/durations.js';
import { writeDurably } from '../../core/durable-file.js';
import type { Deployer, DeployerState, DeployOutcome, DeployRelease, FetchBlob } from './deployer.js';

interface DirState extends DeployerState {
  switching?: { to: string | null; from: string | null };
}

const exists = (p: string) => stat(p).then(() => true, () => false);
const tail = (text: string, n = 1500) => (text.length > n ? `…${text.slice(-n)}` : text);

export class DirDeployer implements Deployer {
  readonly name: string = 'dir';
  private current: DirState = { running: null, previous: null };

  constructor(
    readonly root: string,
    private readonly healthCheckTimeoutMs: number = durations.healthCheckTimeoutMs,
  ) {}

  /** Releases whose trees are kept: the running and the previous one. */
  protected kept(): Set<string> {
    return new Set([this.current.running, this.current.previous].filter((x): x is string => x !== null));
  }

  private get statePath() {
    return join(this.root, 'state.json');
  }

  private save(state: DirState): void {
    writeDurably(this.statePath, JSON.stringify(state, null, 2) + '\n');
    this.current = state;
  }

  async open(): Promise<DeployerState & { recovered?: string }> {
    for (const d of ['deployments', 'blobs', 'staging']) await mkdir(join(this.root, d), { recursive: true });
    try {
      this.current = JSON.parse(readFileSync(this.statePath, 'utf8')) as DirState;
    } catch {
      this.current = { running: null, previous: null };
    }
    const switching = this.current.switching;
    if (!switching) return this.state();
    // Stopped between the switch and a passed health check: it never proved healthy.
    await this.point(switching.from);
    this.save({ running: switching.from, previous: this.current.previous });
    return { ...this.state(), recovered: `the switch to ${switching.to ?? 'the base install'} was interrupted before its health check passed; back on ${switching.from ?? 'the base install'}` };
  }

  state(): DeployerState {
    return { running: this.current.running, previous: this.current.previous };
  }

  /** The tree a release id lives in. */
  treeOf(id: string): string {
    return join(this.root, 'deployments', id);
  }

  /** What `current` points at, read from the link itself (for tests and `agent status`). */
  async linked(): Promise<string | null> {
    try {
      return (await readlink(join(this.root, 'current'))).split('/').pop() ?? null;
    } catch {
      return null;
    }
  }

  async stage(release: DeployRelease, fetchBlob: FetchBlob): Promise<void> {
    const tree = this.treeOf(release.id);
    if (await exists(tree)) return;
    for (const file of release.files) await fetchBlob(file, join(this.root, 'blobs', file.sha256));
    const staging = join(this.root, 'staging', release.id);
    await rm(staging, { recursive: true, force: true });
    for (const file of release.files) {
      const target = join(staging, file.path);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(join(this.root, 'blobs', file.sha256), target);
      await chmod(target, file.executable ? 0o755 : 0o644);
    }
    await this.materialize(release, staging, tree);
    for (const sha of new Set(release.files.map((f) => f.sha256))) await rm(join(this.root, 'blobs', sha), { force: true });
  }

  /** Turns an assembled staging tree into the release's deployment tree (here: a rename; ostree commits and checks out). */
  protected async materialize(_release: DeployRelease, staging: string, tree: string): Promise<void> {
    await rename(staging, tree);
  }

  /** Points `current` at a release's tree (or removes it: the base install), atomically. */
  private async point(id: string | null): Promise<void> {
    const link = join(this.root, 'current');
    if (id === null) {
      await rm(link, { force: true });
      return;
    }
    const tmp = `${link}.new`;
    await rm(tmp, { force: true });
    await symlink(join('deployments', id), tmp);
    await rename(tmp, link);
  }

  private healthCheck(release: DeployRelease): Promise<{ ok: boolean; evidence?: string }> {
    if (!release.health_check) return Promise.resolve({ ok: true });
    const cwd = join(this.root, 'current');
    const script = join(cwd, release.health_check);
    return new Promise((resolve) => {
      execFile(script, [], { cwd, timeout: this.healthCheckTimeoutMs, env: { ...process.env, STARLING_RELEASE: release.id } }, (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        const why = e.killed ? `did not finish within ${this.healthCheckTimeoutMs / 1000} s` : typeof e.code === 'number' ? `exited with code ${e.code}` : `could not run: ${e.message}`;
        resolve({ ok: false, evidence: tail(`health check ${release.health_check} of ${release.id} ${why}\n${stdout}${stderr}`.trim()) });
      });
    });
  }

  async activate(release: DeployRelease): Promise<DeployOutcome> {
    if (!(await exists(this.treeOf(release.id)))) throw new Error(`release ${release.id} is not staged on this host`);
    const from = this.current.running;
    if (from === release.id) return { ok: true, ...this.state() };
    this.save({ ...this.state(), switching: { to: release.id, from } });
    await this.point(release.id);
    const check = await this.healthCheck(release);
    if (!check.ok) {
      await this.point(from);
      this.save({ running: from, previous: this.current.previous });
      return { ok: false, ...this.state(), evidence: `${check.evidence}\nrolled back to ${from ?? 'the base install'}` };
    }
    this.save({ running: release.id, previous: from });
    await this.prune();
    return { ok: true, ...this.state() };
  }

  async rollback(): Promise<DeployOutcome> {
    const { running, previous } = this.current;
    if (running === null) return { ok: true, ...this.state() };
    this.save({ running, previous, switching: { to: previous, from: running } });
    await this.point(previous);
    this.save({ running: previous, previous: running });
    return { ok: true, ...this.state() };
  }

  /** Keeps only the running and previous trees. */
  protected async prune(): Promise<void> {
    const keep = this.kept();
    for (const id of await readdir(join(this.root, 'deployments'))) if (!keep.has(id)) await rm(this.treeOf(id), { recursive: true, force: true });
  }
}
