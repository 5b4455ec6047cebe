/**
 * The Linux host driver: boot facts from /proc. Applying configuration
 * records the changes it would make in the state folder (planned-changes.json)
 * rather than touching the machine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostConfig } from '../../resources/hosts/host.types.js';
import type { StateDir } from '../state-dir.js';
import type { ApplyResult, BootInfo, HostDriver } from './driver.js';

export class LinuxDriver implements HostDriver {
  readonly name = 'linux';
  private bootInfo: BootInfo | undefined;

  constructor(
    private readonly state: StateDir,
    private readonly root = '/',
    private readonly now: () => number = Date.now,
  ) {}

  async boot(): Promise<BootInfo> {
    if (this.bootInfo) return this.bootInfo;
    const read = (p: string) => readFile(join(this.root, p), 'utf8').then((s) => s.trim(), () => undefined);
    const [bootId, uptime] = await Promise.all([read('proc/sys/kernel/random/boot_id'), read('proc/uptime')]);
    const up = Number(uptime?.split(/\s+/)[0]);
    this.bootInfo = {
      bootId: bootId ?? 'unknown',
      bootedAt: Number.isFinite(up) ? Math.round(this.now() - up * 1000) : this.now(),
    };
    return this.bootInfo;
  }

  async apply(config: HostConfig): Promise<ApplyResult> {
    const changes = [
      `kernel: boot the ${config.kernel} kernel`,
      ...Object.entries(config.cpu).map(([cpu, fn]) => `cpu ${cpu}: ${fn}`),
      ...Object.entries(config.hugepages).map(([node, p]) => `numa node ${node}: ${p['2M']} x 2M and ${p['1G']} x 1G hugepages`),
    ];
    this.state.write('planned-changes.json', { at: new Date(this.now()).toISOString(), config, changes });
    return { changes: changes.map((c) => `would: ${c}`), rebootRequired: false };
  }

  async act(kind: string): Promise<void> {
    this.state.write('planned-actions.json', { at: new Date(this.now()).toISOString(), action: kind, done: false, why: 'host changes are not enabled for this agent' });
  }
}
