/** The API's view of a host (StarlingX `system host-show` field names). */
import type { HostRow } from '../../db/schema.js';
import type { HostConfig } from './host.types.js';

export interface HostView {
  id: string;
  hostname: string;
  personality: string;
  subfunctions: string;
  administrative: string;
  operational: string;
  availability: string;
  task: string | null;
  /** `active` / `standby` for controllers. */
  controller_role: string | null;
  uptime: number | null;
  /** "Config out-of-date" while the agent has not applied the desired configuration. */
  config_status: string;
  config_target: string;
  config_applied: string | null;
  generation: number;
  observed_generation: number;
  config: HostConfig;
  inventory: unknown;
  agent_version: string | null;
  enrolled: boolean;
  last_report_at: string | null;
  created_at: string;
  updated_at: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const isConfigOutOfDate = (h: Pick<HostRow, 'config_token' | 'applied_config_token'>): boolean => h.applied_config_token !== h.config_token;

export function toHostView(h: HostRow): HostView {
  return {
    id: h.id,
    hostname: h.hostname,
    personality: h.personality,
    subfunctions: h.subfunctions,
    administrative: h.administrative,
    operational: h.operational,
    availability: h.availability,
    task: h.task,
    controller_role: h.controller_role,
    uptime: h.uptime_s,
    config_status: isConfigOutOfDate(h) ? 'Config out-of-date' : '',
    config_target: h.config_token,
    config_applied: h.applied_config_token,
    generation: h.generation,
    observed_generation: h.observed_generation,
    config: JSON.parse(h.config) as HostConfig,
    inventory: h.inventory ? (JSON.parse(h.inventory) as unknown) : null,
    agent_version: h.agent_version,
    enrolled: h.credential_hash !== null,
    last_report_at: iso(h.last_report_at),
    created_at: iso(h.created_at)!,
    updated_at: iso(h.updated_at)!,
  };
}
