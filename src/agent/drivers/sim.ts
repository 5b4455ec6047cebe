/**
 * The simulated host driver: boots, configuration and actions in memory. A
 * reboot changes the boot id and time, as a real one would. Used by the fleet
 * simulator and tests; never touches the machine.
 */
import { randomUUID } from 'node:crypto';
import type { HostConfig } from '../../resources/hosts/host.types.js';
import type { ApplyResult, BootInfo, HostDriver } from './driver.js';

export class SimDriver implements HostDriver {
  readonly name = 'sim';
  private bootInfo: BootInfo;
  applied: HostConfig | undefined;
  readonly actions: string[] = [];

  constructor(private readonly now: () => number = Date.now) {
    this.bootInfo = { bootId: randomUUID(), bootedAt: now() };
  }

  async boot(): Promise<BootInfo> {
    return this.bootInfo;
  }

  async apply(config: HostConfig): Promise<ApplyResult> {
    const changes: string[] = [];
    if (this.applied?.kernel !== config.kernel) changes.push(`kernel: ${config.kernel}`);
    if (JSON.stringify(this.applied?.cpu) !== JSON.stringify(config.cpu)) changes.push('cpu functions');
    if (JSON.stringify(this.applied?.hugepages) !== JSON.stringify(config.hugepages)) changes.push('hugepages');
    this.applied = config;
    return { changes, rebootRequired: changes.some((c) => c.startsWith('kernel')) };
  }

  async act(kind: string): Promise<void> {
    this.actions.push(kind);
    if (kind === 'reboot' || kind === 'reinstall' || kind === 'recover') this.bootInfo = { bootId: randomUUID(), bootedAt: this.now() };
  }
}
