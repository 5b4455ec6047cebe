/**
 * What a fleet strategy is created with: the subclouds it targets (all, a
 * group, or one, with each one's management, availability and software
 * sync), which of them get a step, and the job options every step carries.
 * StarlingX's rules: steps only for managed, online subclouds that lack the
 * release (sw-deploy: whose software is out of sync too); creation fails,
 * saying why, when a target's sync is unknown or nothing needs doing.
 */
import type { Kysely } from 'kysely';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import type { SiteJob } from '../../protocol/subcloud-wire.js';
import type { FleetCreate } from './fleet-strategy.types.js';

const MBIT = 1_000_000 / 8;

export type Target = { id: number; name: string; management_state: string; availability_status: string; status: string | null; group_id: number; sync_status: string | null; group_name: string };

export async function fleetTargets(db: Kysely<Schema>, input: FleetCreate, groupId: number | undefined): Promise<Target[]> {
  let q = db
    .selectFrom('subclouds as s')
    .innerJoin('subcloud_groups as g', 'g.id', 's.group_id')
    .leftJoin('subcloud_endpoints as e', (j) => j.onRef('e.subcloud_id', '=', 's.id').on('e.endpoint_type', '=', 'software'))
    .select(['s.id', 's.name', 's.management_state', 's.availability_status', 's.status', 's.group_id', 'e.sync_status', 'g.name as group_name'])
    .orderBy('g.id')
    .orderBy('s.name');
  if (groupId !== undefined) q = q.where('s.group_id', '=', groupId);
  if (input.subcloud) q = q.where('s.name', '=', input.subcloud);
  const rows = await q.execute();
  if (input.subcloud && !rows.length) throw new NotFoundError(`no subcloud ${input.subcloud}`, 'subcloud');
  return rows;
}

/** The subclouds that get a step, or the reason there are none. */
export function pickSteps(input: FleetCreate, targets: Target[]): Target[] {
  if (input.subcloud) {
    const t = targets[0]!;
    if (t.management_state !== 'managed') throw new ConflictError(`subcloud ${t.name} is unmanaged; manage it first`, 'subcloud');
    if (t.availability_status !== 'online') throw new ConflictError(`subcloud ${t.name} is offline`, 'subcloud');
  }
  const eligible = targets.filter((t) => t.management_state === 'managed' && t.availability_status === 'online');
  const unknown = eligible.filter((t) => !t.sync_status || t.sync_status === 'unknown');
  if (unknown.length) {
    throw new ConflictError(`software sync status is unknown for ${unknown.length} subcloud(s) (${unknown.slice(0, 5).map((t) => t.name).join(', ')}${unknown.length > 5 ? ', ...' : ''}); wait for them to report, or leave them out`, 'sync_status');
  }
  const lacks = (t: Target) => !(t.status ? ((JSON.parse(t.status) as { releases?: string[] }).releases ?? []) : []).includes(input.release ?? '');
  const steps = eligible.filter((t) => (input.type === 'prestage' ? lacks(t) : t.sync_status === 'out-of-sync' && lacks(t)));
  if (!steps.length) throw new ConflictError(`Strategy has no steps to apply: no managed, online subcloud${input.group ? ` in group ${input.group}` : ''} needs ${input.release}`);
  return steps;
}

/** The site strategy options and bandwidth cap every step's job carries. */
export function jobOptions(input: FleetCreate): Pick<SiteJob, 'strategy' | 'bytes_per_second'> {
  if (input.prestage_mbps !== undefined && (!(input.prestage_mbps >= 0) || input.prestage_mbps > 100_000)) throw new InputError('prestage_mbps: 0 (no cap) to 100000 Mbit/s', 'prestage_mbps');
  const workers = input.max_parallel_worker_hosts ?? 2;
  if (!Number.isInteger(workers) || workers < 2 || workers > 10) throw new InputError('max_parallel_worker_hosts: 2 to 10 (StarlingX)', 'max_parallel_worker_hosts');
  return {
    strategy: {
      controller_apply_type: input.controller_apply_type ?? 'serial',
      worker_apply_type: input.worker_apply_type ?? 'serial',
      max_parallel_worker_hosts: workers,
      alarm_restrictions: input.alarm_restrictions ?? 'strict',
    },
    bytes_per_second: Math.round((input.prestage_mbps ?? 0) * MBIT),
  };
}
