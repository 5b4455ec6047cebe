/**
 * Real OSTree deployments (`starling agent --deploy-driver ostree`): the
 * same A/B switching, health check and automatic rollback as the dir
 * deployer, with the content kept in an OSTree repository:
 *
 *   DIR/repo/                          an OSTree repo (bare-user-only), one ref per release: starling/<release>
 *   DIR/deployments/<release>/         `ostree checkout` of that ref (hard links into the repo)
 *
 * A release's tree is committed once, so files shared between releases are
 * stored once (content-addressed), and a deployment is a checkout of a
 * verified commit. Refs of releases no longer kept are deleted and the repo
 * pruned. Needs the `ostree` command (Debian: apt-get install ostree).
 */
import { execFile } from 'node:child_process';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { durations } from '../../core/durations.js';
import type { DeployerState, DeployRelease } from './deployer.js';
import { DirDeployer } from './dir-deployer.js';

const run = promisify(execFile);
const refOf = (id: string) => `starling/${id}`;

/** The ostree version, or undefined when it is not installed. */
export async function ostreeVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run('ostree', ['--version']);
    return /Version: '([^']+)'/.exec(stdout)?.[1] ?? 'unknown';
  } catch {
    return undefined;
  }
}

export class OstreeDeployer extends DirDeployer {
  override readonly name = 'ostree';

  constructor(root: string, healthCheckTimeoutMs: number = durations.healthCheckTimeoutMs) {
    super(root, healthCheckTimeoutMs);
  }

  get repo(): string {
    return join(this.root, 'repo');
  }

  private async ostree(...args: string[]): Promise<string> {
    try {
      return (await run('ostree', [...args, `--repo=${this.repo}`], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error('the ostree deploy driver needs the ostree command (Debian: apt-get install ostree); or use --deploy-driver dir', { cause: err });
      throw new Error(`ostree ${args[0]}: ${(e.stderr ?? e.message).trim()}`, { cause: err });
    }
  }

  override async open(): Promise<DeployerState & { recovered?: string }> {
    const opened = await super.open();
    if (!(await stat(join(this.repo, 'config')).then(() => true, () => false))) await this.ostree('init', '--mode=bare-user-only');
    return opened;
  }

  /** The commit a release's ref points at, or undefined. */
  async commitOf(id: string): Promise<string | undefined> {
    try {
      return await this.ostree('rev-parse', refOf(id));
    } catch {
      return undefined;
    }
  }

  protected override async materialize(release: DeployRelease, staging: string, tree: string): Promise<void> {
    await this.ostree('commit', `--branch=${refOf(release.id)}`, `--tree=dir=${staging}`, `--subject=${release.id}`, '--no-xattrs');
    const checkout = `${tree}.checkout`;
    await rm(checkout, { recursive: true, force: true });
    // fsck of the commit just made is cheap next to a deploy and catches a damaged repo before it runs.
    await this.ostree('fsck', '--quiet');
    await this.ostree('checkout', '-U', refOf(release.id), checkout);
    await rename(checkout, tree);
    await rm(staging, { recursive: true, force: true });
  }

  protected override async prune(): Promise<void> {
    await super.prune();
    const keep = this.kept();
    const refs = (await this.ostree('refs')).split('\n').filter((r) => r.startsWith('starling/'));
    for (const ref of refs) if (!keep.has(ref.slice('starling/'.length))) await this.ostree('refs', '--delete', ref);
    await this.ostree('prune', '--refs-only');
  }
}
