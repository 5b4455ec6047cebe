/**
 * Samples the host's resources and turns threshold crossings into alarm
 * operations for the agent's queue: 100.101 platform CPU, 100.103 memory,
 * 100.104 per filesystem mount. On start it clears what a previous run may
 * have left raised, so a restart never strands an alarm.
 */
import type { ResourceStats } from '../inventory/types.js';
import type { AgentOp } from '../../protocol/agent-wire.js';
import { RESOURCE_POLICIES, ThresholdTracker, type Decision } from './threshold.js';

export interface MonitorOptions {
  hostname: string;
  /** Where decisions go (the agent's send). */
  send: (op: AgentOp) => void;
}

const fmt = (n: number) => n.toFixed(1);

export class ResourceMonitor {
  private readonly cpu = new ThresholdTracker(RESOURCE_POLICIES.cpu);
  private readonly memory = new ThresholdTracker(RESOURCE_POLICIES.memory);
  private readonly filesystems = new Map<string, ThresholdTracker>();
  private lastCpu: { busy: number; total: number } | undefined;

  constructor(private readonly options: MonitorOptions) {}

  /** Feeds one sample of resource figures. */
  sample(stats: ResourceStats): void {
    const host = `host=${this.options.hostname}`;
    if (stats.cpu_times !== 'unknown') {
      const prev = this.lastCpu;
      this.lastCpu = stats.cpu_times;
      if (prev && stats.cpu_times.total > prev.total) {
        const pct = (100 * (stats.cpu_times.busy - prev.busy)) / (stats.cpu_times.total - prev.total);
        this.emit(this.cpu.sample(pct), '100.101', host, (s) => `Platform CPU threshold exceeded; threshold ${this.threshold('cpu', s)}%, actual ${fmt(pct)}%`);
      }
    }
    if (stats.memory_used_pct !== 'unknown') {
      const pct = stats.memory_used_pct;
      this.emit(this.memory.sample(pct), '100.103', host, (s) => `Memory threshold exceeded; threshold ${this.threshold('memory', s)}%, actual ${fmt(pct)}%`);
    }
    for (const fs of stats.filesystems) {
      let tracker = this.filesystems.get(fs.mount);
      if (!tracker) this.filesystems.set(fs.mount, (tracker = new ThresholdTracker(RESOURCE_POLICIES.filesystem)));
      this.emit(tracker.sample(fs.used_pct), '100.104', `${host}.filesystem=${fs.mount}`, (s) => `Filesystem ${fs.mount} threshold exceeded; threshold ${this.threshold('filesystem', s)}%, actual ${fmt(fs.used_pct)}%`);
    }
  }

  /** Clears alarms a previous run of the agent may have left raised. */
  clearStale(mounts: string[]): void {
    const host = `host=${this.options.hostname}`;
    for (const [alarm_id, entity] of [['100.101', host], ['100.103', host], ...mounts.map((m) => ['100.104', `${host}.filesystem=${m}`])] as const) {
      this.options.send({ kind: 'clear', alarm_id, entity_instance_id: entity });
    }
  }

  private threshold(kind: keyof typeof RESOURCE_POLICIES, severity: string): number {
    return RESOURCE_POLICIES[kind].levels.find((l) => l.severity === severity)!.at;
  }

  private emit(decision: Decision, alarm_id: string, entity: string, reason: (severity: string) => string): void {
    if (!decision) return;
    if (decision.change === 'clear') this.options.send({ kind: 'clear', alarm_id, entity_instance_id: entity });
    else this.options.send({ kind: 'raise', alarm_id, entity_instance_id: entity, severity: decision.severity, reason_text: reason(decision.severity) });
  }
}
