/** How a fleet strategy reads: the strategy with step counts, failures grouped by cause, and its steps in order. */
import { sql, type Kysely } from 'kysely';
import { NotFoundError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import { STEP_INITIAL, STEP_NOT_RUNNING, type CauseGroup, type FleetState, type FleetStepView, type FleetStrategyView, type FleetType, type StepCause } from './fleet-strategy.types.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export interface StepFilter {
  state?: string;
  cloud?: string;
  limit?: number;
  offset?: number;
}

/** The strategy with its step counts and failures grouped by cause. */
export async function showFleetStrategy(db: Kysely<Schema>): Promise<FleetStrategyView> {
  const row = await db.selectFrom('fleet_strategy').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!row) throw new NotFoundError('no fleet strategy');
  const counts = await db.selectFrom('fleet_strategy_steps').select(['state', sql<number>`count(*)`.as('n')]).groupBy('state').execute();
  const count = (pred: (s: string) => boolean) => counts.filter((c) => pred(c.state)).reduce((t, c) => t + Number(c.n), 0);
  return {
    type: row.type as FleetType,
    release_id: row.release_id,
    state: row.state as FleetState,
    subcloud_apply_type: row.subcloud_apply_type as 'parallel' | 'serial',
    max_parallel_subclouds: row.max_parallel_subclouds,
    stop_on_failure: row.stop_on_failure === 1,
    with_prestage: row.with_prestage === 1,
    target: JSON.parse(row.target) as FleetStrategyView['target'],
    ...(row.type === 'ca-update' ? {} : { job: JSON.parse(row.options) as FleetStrategyView['job'] }),
    reason: row.reason,
    steps: {
      total: count(() => true),
      initial: count((s) => s === STEP_INITIAL),
      in_progress: count((s) => !STEP_NOT_RUNNING.includes(s)),
      complete: count((s) => s === 'complete'),
      failed: count((s) => s === 'failed'),
      aborted: count((s) => s === 'aborted'),
    },
    failures_by_cause: await failuresByCause(db),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

/** Failed steps grouped by cause: most subclouds first. */
export async function failuresByCause(db: Kysely<Schema>): Promise<CauseGroup[]> {
  const failed = await db.selectFrom('fleet_strategy_steps').select(['subcloud_name', 'cause']).where('state', '=', 'failed').orderBy('subcloud_name').execute();
  const groups = new Map<string, CauseGroup>();
  for (const f of failed) {
    const cause = f.cause ? (JSON.parse(f.cause) as StepCause) : { cause: 'unknown', what: 'the step failed', where: f.subcloud_name, evidence: '', repair: '' };
    const g = groups.get(cause.cause) ?? { cause: cause.cause, what: cause.what, repair: cause.repair.replaceAll(f.subcloud_name, 'NAME'), count: 0, subclouds: [], evidence: cause.evidence };
    g.count++;
    if (g.subclouds.length < 10) g.subclouds.push(f.subcloud_name);
    groups.set(cause.cause, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
}

export async function listFleetSteps(db: Kysely<Schema>, filter: StepFilter = {}): Promise<{ items: FleetStepView[]; total: number }> {
  if (!(await db.selectFrom('fleet_strategy').select('id').where('id', '=', 1).executeTakeFirst())) throw new NotFoundError('no fleet strategy');
  let q = db.selectFrom('fleet_strategy_steps');
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.cloud) q = q.where('subcloud_name', '=', filter.cloud);
  const total = Number((await q.select(sql<number>`count(*)`.as('n')).executeTakeFirst())?.n ?? 0);
  const rows = await q
    .selectAll()
    .orderBy('stage')
    .orderBy('subcloud_name')
    .limit(filter.limit ?? 100)
    .offset(filter.offset ?? 0)
    .execute();
  if (filter.cloud && !rows.length) throw new NotFoundError(`no step for subcloud ${filter.cloud} in the fleet strategy`, 'cloud');
  return {
    total,
    items: rows.map((r) => ({
      cloud: r.subcloud_name,
      stage: r.stage,
      state: r.state,
      details: r.details,
      progress: r.progress ? (JSON.parse(r.progress) as FleetStepView['progress']) : null,
      cause: r.cause ? (JSON.parse(r.cause) as StepCause) : null,
      started_at: iso(r.started_at),
      finished_at: iso(r.finished_at),
    })),
  };
}
