/**
 * Hosts, with StarlingX's field and state names (sysinv `system host-*`).
 */

export const PERSONALITIES = ['controller', 'worker', 'storage'] as const;
export type Personality = (typeof PERSONALITIES)[number];

/**
 * - `locked`: administratively out of service; maintenance actions allowed.
 * - `unlocked`: in service.
 */
export type Administrative = 'locked' | 'unlocked';

/**
 * - `enabled`: the host is running its services.
 * - `disabled`: it is not (locked, failed, or not yet reporting).
 */
export type Operational = 'enabled' | 'disabled';

/**
 * - `available`: unlocked, enabled and healthy.
 * - `online`: locked but reporting.
 * - `offline`: not reporting.
 * - `degraded`: reporting late, or carrying a degrade-affecting alarm.
 * - `failed`: heartbeat lost past the failure threshold.
 * - `intest`: coming up after unlock, configuration being applied.
 */
export const AVAILABILITIES = ['available', 'online', 'offline', 'degraded', 'failed', 'intest'] as const;
export type Availability = (typeof AVAILABILITIES)[number];

/** For controllers in duplex: which one runs the active services. */
export type ControllerRole = 'active' | 'standby';

export const CPU_FUNCTIONS = ['platform', 'application', 'application-isolated'] as const;
export type CpuFunction = (typeof CPU_FUNCTIONS)[number];

export const KERNELS = ['standard', 'lowlatency'] as const;
export type Kernel = (typeof KERNELS)[number];

/** The host's desired configuration (spec), applied by its agent. */
export interface HostConfig {
  kernel: Kernel;
  /** Function per logical CPU id; CPUs not listed are `application`. */
  cpu: Record<string, CpuFunction>;
  /** Hugepages per NUMA node. */
  hugepages: Record<string, { '2M': number; '1G': number }>;
}

export const DEFAULT_HOST_CONFIG: HostConfig = { kernel: 'standard', cpu: {}, hugepages: {} };
