/**
 * The fleet map: every subcloud's worst state in one compact, columnar
 * answer, for the dashboard's overview of 10,000 tiles. Columns (names,
 * group indexes, state indexes) rather than one object per subcloud keep
 * 10,000 subclouds near 200 kB of JSON (about 30 kB gzipped), read in one
 * indexed scan.
 *
 * Worst state, in this order: `offline` (availability), `critical` and
 * `major` (active alarms), `deploying` (its fleet strategy step is
 * running), `out-of-sync` (any endpoint), `OK`. Deploying ranks above
 * out-of-sync because a subcloud being upgraded is out of sync on its
 * software endpoint until the step completes: the other order would hide
 * every rollout in progress.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import { STEP_NOT_RUNNING } from '../strategies/fleet-strategy.types.js';

export const TILE_STATES = ['offline', 'critical', 'major', 'deploying', 'out-of-sync', 'OK'] as const;
export type TileState = (typeof TILE_STATES)[number];

export interface FleetMap {
  states: TileState[];
  groups: Array<{ id: number; name: string }>;
  counts: Record<TileState, number>;
  /** Parallel columns, one entry per subcloud, ordered by name. */
  subclouds: {
    name: string[];
    /** Index into `groups`. */
    group: number[];
    /** Index into `states`. */
    state: number[];
    /** 1 managed, 0 unmanaged. */
    managed: number[];
  };
}

interface TileRow {
  name: string;
  group_id: number;
  management_state: string;
  availability_status: string;
  alarms_critical: number;
  alarms_major: number;
  busy: number;
  out_of_sync: number;
}

export function tileState(row: Omit<TileRow, 'name' | 'group_id' | 'management_state'>): TileState {
  if (row.availability_status !== 'online') return 'offline';
  if (Number(row.alarms_critical) > 0) return 'critical';
  if (Number(row.alarms_major) > 0) return 'major';
  if (Number(row.busy) > 0) return 'deploying';
  if (Number(row.out_of_sync) > 0) return 'out-of-sync';
  return 'OK';
}

export async function readFleetMap(db: Kysely<Schema>): Promise<FleetMap> {
  const [groups, rows] = await Promise.all([
    db.selectFrom('subcloud_groups').select(['id', 'name']).orderBy('id').execute(),
    db
      .selectFrom('subclouds as s')
      .select([
        's.name',
        's.group_id',
        's.management_state',
        's.availability_status',
        's.alarms_critical',
        's.alarms_major',
        // A step of the fleet strategy running on it (the orchestration column outlives a finished step).
        sql<number>`case when exists (select 1 from fleet_strategy_steps f where f.subcloud_id = s.id and f.state not in (${sql.join(STEP_NOT_RUNNING)})) then 1 else 0 end`.as('busy'),
        sql<number>`case when exists (select 1 from subcloud_endpoints e where e.subcloud_id = s.id and e.sync_status = 'out-of-sync') then 1 else 0 end`.as('out_of_sync'),
      ])
      .orderBy('s.name')
      .execute() as Promise<TileRow[]>,
  ]);
  const groupIndex = new Map(groups.map((g, i) => [Number(g.id), i]));
  const counts = Object.fromEntries(TILE_STATES.map((s) => [s, 0])) as Record<TileState, number>;
  const columns: FleetMap['subclouds'] = { name: [], group: [], state: [], managed: [] };
  for (const row of rows) {
    const state = tileState(row);
    counts[state]++;
    columns.name.push(row.name);
    columns.group.push(groupIndex.get(Number(row.group_id)) ?? 0);
    columns.state.push(TILE_STATES.indexOf(state));
    columns.managed.push(row.management_state === 'managed' ? 1 : 0);
  }
  return { states: [...TILE_STATES], groups: groups.map((g) => ({ id: Number(g.id), name: g.name })), counts, subclouds: columns };
}

/** What changed between two maps: per-subcloud [name, state, managed] changes, or null when the set of subclouds or groups changed (send the whole map). */
export function diffFleetMaps(before: FleetMap, after: FleetMap): Array<[string, number, number]> | null {
  const a = before.subclouds;
  const b = after.subclouds;
  if (a.name.length !== b.name.length || before.groups.map((g) => g.name).join('\n') !== after.groups.map((g) => g.name).join('\n')) return null;
  const changes: Array<[string, number, number]> = [];
  for (let i = 0; i < b.name.length; i++) {
    if (a.name[i] !== b.name[i] || a.group[i] !== b.group[i]) return null;
    if (a.state[i] !== b.state[i] || a.managed[i] !== b.managed[i]) changes.push([b.name[i]!, b.state[i]!, b.managed[i]!]);
  }
  return changes;
}
