/**
 * A debounced threshold alarm with hysteresis, so a value wandering around
 * a threshold does not flap the alarm:
 * - a severity is raised (or escalated) only after `debounce` consecutive
 *   samples at or above its threshold;
 * - it is lowered or cleared only after `debounce` consecutive samples below
 *   the threshold minus `hysteresis`.
 * Pure: feed samples, get the decision.
 */
import type { Severity } from '../../resources/alarms/catalogue.js';

export interface ThresholdPolicy {
  /** Severity thresholds in percent, highest first: { critical: 95, major: 90 }. */
  levels: Array<{ severity: Severity; at: number }>;
  /** Points below a threshold the value must fall before it counts as below. */
  hysteresis: number;
  /** Consecutive samples needed to change state. */
  debounce: number;
}

export type Decision = { change: 'raise'; severity: Severity } | { change: 'clear' } | undefined;

export class ThresholdTracker {
  /** The severity currently raised, if any. */
  severity: Severity | undefined;
  private candidate: Severity | 'clear' | undefined;
  private streak = 0;

  constructor(private readonly policy: ThresholdPolicy) {}

  /** The level a sample points to, given what is raised now (hysteresis applies on the way down). */
  private target(value: number): Severity | 'clear' {
    const current = this.policy.levels.findIndex((l) => l.severity === this.severity);
    for (const [i, level] of this.policy.levels.entries()) {
      const keepAt = current !== -1 && i >= current ? level.at - this.policy.hysteresis : level.at;
      if (value >= keepAt) return level.severity;
    }
    return 'clear';
  }

  sample(value: number): Decision {
    const target = this.target(value);
    const now = this.severity ?? 'clear';
    if (target === now) {
      this.candidate = undefined;
      this.streak = 0;
      return undefined;
    }
    if (target !== this.candidate) {
      this.candidate = target;
      this.streak = 0;
    }
    this.streak++;
    if (this.streak < this.policy.debounce) return undefined;
    this.candidate = undefined;
    this.streak = 0;
    if (target === 'clear') {
      this.severity = undefined;
      return { change: 'clear' };
    }
    this.severity = target;
    return { change: 'raise', severity: target };
  }
}

/** StarlingX's resource thresholds (reference §2). */
export const RESOURCE_POLICIES = {
  cpu: { levels: [{ severity: 'critical', at: 95 }, { severity: 'major', at: 90 }], hysteresis: 5, debounce: 3 },
  memory: { levels: [{ severity: 'critical', at: 90 }, { severity: 'major', at: 80 }], hysteresis: 5, debounce: 3 },
  filesystem: { levels: [{ severity: 'critical', at: 90 }, { severity: 'major', at: 80 }], hysteresis: 2, debounce: 2 },
} satisfies Record<string, ThresholdPolicy>;
