/**
 * Host state derived from what maintenance knows: pure functions, so the
 * rules can be read and tested apart from the database.
 */
import type { Administrative, Availability, Operational } from './host.types.js';

export interface HostFacts {
  administrative: Administrative;
  /** The agent reported within the degrade threshold. */
  reporting: boolean;
  /** Heartbeat state: none (never reported), ok, degraded, failed. */
  heartbeat: 'none' | 'ok' | 'degraded' | 'failed';
  /** The applied configuration token equals the desired one. */
  configInSync: boolean;
  /** An active degrade-affecting alarm on the host (resource thresholds ...). */
  degradeAlarm: boolean;
}

export function deriveState(f: HostFacts): { operational: Operational; availability: Availability } {
  if (f.heartbeat === 'none') return { operational: 'disabled', availability: 'offline' };
  if (f.heartbeat === 'failed') return { operational: 'disabled', availability: f.administrative === 'locked' ? 'offline' : 'failed' };
  if (f.administrative === 'locked') return { operational: 'disabled', availability: f.heartbeat === 'degraded' ? 'degraded' : 'online' };
  if (!f.configInSync) return { operational: 'disabled', availability: 'intest' };
  if (f.heartbeat === 'degraded' || f.degradeAlarm) return { operational: 'enabled', availability: 'degraded' };
  return { operational: 'enabled', availability: 'available' };
}
