/**
 * How an agent reads and changes its host. `linux` works on the real
 * machine (and changes it only when allowed); `sim` keeps everything in
 * memory, for the fleet simulator and tests.
 */
import type { HostConfig } from '../../resources/hosts/host.types.js';

export interface BootInfo {
  /** Changes on every boot (Linux: /proc/sys/kernel/random/boot_id). */
  bootId: string;
  /** Epoch ms of the last boot. */
  bootedAt: number;
}

export interface ApplyResult {
  /** What was (or, when changes are not allowed, would have been) done. */
  changes: string[];
  /** True when a reboot is needed for the changes to take effect. */
  rebootRequired: boolean;
}

export interface HostDriver {
  readonly name: string;
  boot(): Promise<BootInfo>;
  /** Applies a desired configuration. */
  apply(config: HostConfig): Promise<ApplyResult>;
  /** Carries out a one-shot action (reboot, reinstall, recover). */
  act(kind: string): Promise<void>;
}
