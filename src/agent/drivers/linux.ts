/**
 * The Linux host driver. Reads boot facts from /proc. Applying a
 * configuration builds a plan of concrete operations (linux-plan.ts); with
 * `allowHostChanges` it carries them out (sysfs writes, grub, reboot),
 * otherwise it records in the state folder what it would have done
 * (planned-changes.json), touching nothing.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { HostConfig } from '../../resources/hosts/host.types.js';
import type { StateDir } from '../state-dir.js';
import type { ApplyResult, BootInfo, HostDriver } from './driver.js';
import { planHostChanges, type HostOperation } from './linux-plan.js';

/** Runs commands; the one place the driver reaches outside files (tests record instead). */
export type CommandRunner = (argv: string[]) => Promise<void>;

const run: CommandRunner = async (argv) => {
  await promisify(execFile)(argv[0]!, argv.slice(1), { timeout: 120_000 });
};

export interface LinuxDriverOptions {
  state: StateDir;
  /** Carry out changes; without it they are only recorded. */
  allowHostChanges: boolean;
  /** Filesystem root (tests use a fixture tree). */
  root?: string;
  runner?: CommandRunner;
  now?: () => number;
}

export class LinuxDriver implements HostDriver {
  readonly name = 'linux';
  private bootInfo: BootInfo | undefined;
  private readonly root: string;
  private readonly runner: CommandRunner;
  private readonly now: () => number;

  constructor(private readonly options: LinuxDriverOptions) {
    this.root = options.root ?? '/';
    this.runner = options.runner ?? run;
    this.now = options.now ?? Date.now;
  }

  async boot(): Promise<BootInfo> {
    if (this.bootInfo) return this.bootInfo;
    const read = (p: string) => readFile(join(this.root, p), 'utf8').then((s) => s.trim(), () => undefined);
    const [bootId, uptime] = await Promise.all([read('proc/sys/kernel/random/boot_id'), read('proc/uptime')]);
    const up = Number(uptime?.split(/\s+/)[0]);
    this.bootInfo = { bootId: bootId ?? 'unknown', bootedAt: Number.isFinite(up) ? Math.round(this.now() - up * 1000) : this.now() };
    return this.bootInfo;
  }

  async apply(config: HostConfig): Promise<ApplyResult> {
    const osName = (await readFile(join(this.root, 'etc/os-release'), 'utf8').catch(() => '')).match(/^NAME="?([^"\n]+)"?/m)?.[1];
    const plan = await planHostChanges(config, this.root, osName);
    await this.carryOut(plan, 'apply configuration');
    return { changes: plan.map((op) => (this.options.allowHostChanges ? op.why : `would: ${op.why}`)), rebootRequired: true };
  }

  async act(kind: string): Promise<void> {
    if (kind === 'reboot' || kind === 'recover') {
      await this.carryOut([{ kind: 'run', argv: ['systemctl', 'reboot'], why: kind === 'recover' ? 'auto-recovery reboot' : 'reboot requested' }], kind);
      return;
    }
    // A reinstall wipes the host from the network installer (PXE or BMC
    // virtual media), which this driver cannot do from inside the host.
    this.options.state.write('planned-actions.json', { at: new Date(this.now()).toISOString(), action: kind, done: false, why: `${kind} is done by the installer, not by the running host` });
  }

  private async carryOut(plan: HostOperation[], what: string): Promise<void> {
    this.options.state.write('planned-changes.json', { at: new Date(this.now()).toISOString(), what, carried_out: this.options.allowHostChanges, plan });
    if (!this.options.allowHostChanges) return;
    for (const op of plan) {
      if (op.kind === 'write') {
        await mkdir(dirname(op.path), { recursive: true });
        await writeFile(op.path, op.content);
      } else {
        await this.runner(op.argv);
      }
    }
  }
}
