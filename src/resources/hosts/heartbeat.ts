/**
 * Heartbeat rules (StarlingX maintenance, §6 of the reference): a report is a
 * pulse; missing `degradePulses` of them degrades a host, `failPulses` fails
 * it. After a controller restart every host gets a full window from the
 * restart, so a controller that was down is not mistaken for a fleet that is.
 */
export type Heartbeat = 'none' | 'ok' | 'degraded' | 'failed';

export interface HeartbeatPolicy {
  intervalMs: number;
  degradePulses: number;
  failPulses: number;
}

export function missedPulses(lastReportAt: number, controllerStartedAt: number, now: number, intervalMs: number): number {
  return Math.floor((now - Math.max(lastReportAt, controllerStartedAt)) / intervalMs);
}

export function heartbeatFor(lastReportAt: number | null, controllerStartedAt: number, now: number, policy: HeartbeatPolicy): Heartbeat {
  if (lastReportAt === null) return 'none';
  const missed = missedPulses(lastReportAt, controllerStartedAt, now, policy.intervalMs);
  if (missed >= policy.failPulses) return 'failed';
  if (missed >= policy.degradePulses) return 'degraded';
  return 'ok';
}

/**
 * Multi-node failure avoidance: when this many hosts have lost heartbeat at
 * once, the cause is the network, not the hosts; maintenance raises alarms
 * but takes no recovery actions (StarlingX MNFA threshold: 2).
 */
export const MNFA_THRESHOLD = 2;
