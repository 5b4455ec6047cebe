/**
 * The fleet strategy (dcmanager's orchestrator): one at a time, a sw-deploy
 * or prestage of a release across subclouds — all of them, a group, or one.
 *
 * Create picks the steps: one per managed, online subcloud whose software is
 * out of sync and lacks the release (prestage: lacks it deployed), and says
 * why when it cannot (a target's sync unknown, nothing to do, a group's
 * settings overridden). Apply runs them from a level-triggered `tick()`: it
 * keeps up to max-parallel steps running, starting the next in order as
 * each finishes, by putting the job in the subcloud's desired state (the
 * subcloud's long poll wakes, so it starts within a second). The subcloud
 * runs it and reports progress in its status; `reported()` writes it to the
 * step in the report's own transaction. A failed step records its cause.
 *
 * Everything is in rows: after a restart the next tick carries on, a
 * subcloud keeps its job (a job is carried out once per key), and late
 * reports still land. stop-on-failure and abort start nothing new and let
 * running steps finish.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../db/database.js';
import type { Clock } from '../../core/clock.js';
import { durations } from '../../core/durations.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import { chunk } from '../../db/chunks.js';
import type { FleetStrategyStepsTable, Schema } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { SiteJob, SiteJobStatus } from '../../protocol/subcloud-wire.js';
import type { SubcloudErrors } from '../subclouds/subcloud-errors.js';
import { DEPLOYED_STATES } from '../sync/software.js';
import { causeText } from './fleet-causes.js';
import { fleetTargets, jobOptions, pickSteps } from './fleet-strategy.targets.js';
import { failuresByCause, listFleetSteps, showFleetStrategy, type StepFilter } from './fleet-strategy.views.js';
import { subcloudWaitKey } from '../subclouds/uplink.service.js';
import { CA_UPDATE_WAITING, type CaUpdateRunner } from './ca-update.runner.js';
import {
  MAX_PARALLEL_SUBCLOUDS,
  PRESTAGE_MAX_PARALLEL,
  PRESTAGE_STEP,
  STEP_DONE,
  STEP_INITIAL,
  STEP_NOT_RUNNING,
  SW_DEPLOY_STEP,
  type FleetCreate,
  type FleetState,
  type FleetStepView,
  type FleetStrategyView,
  type StepCause,
} from './fleet-strategy.types.js';


/** How far past the free slots the runner looks for subclouds that are connected now. */
const REACHABLE_LOOKAHEAD = 3;

export class FleetStrategyService {
  private wake: (() => void) | undefined;
  private wakePending: NodeJS.Timeout | undefined;

  constructor(private readonly deps: { db: Kysely<Schema>; dialect?: Dialect; clock: Clock; waiters: Waiters; errors: SubcloudErrors; stepTimeoutMs?: number; caUpdate?: CaUpdateRunner }) {}

  /** Called (soon, coalesced) when a step finished: a slot is free, so the runner need not wait for its next tick. */
  onWake(wake: () => void): void {
    this.wake = wake;
  }

  /** A step finished (after the report's commit): wake the runner. */
  stepFinished(): void {
    if (this.wakePending || !this.wake) return;
    this.wakePending = setTimeout(() => {
      this.wakePending = undefined;
      this.wake?.();
    }, 20);
    this.wakePending.unref();
  }

  private row(db: Kysely<Schema> = this.deps.db) {
    return db.selectFrom('fleet_strategy').selectAll().where('id', '=', 1).executeTakeFirst();
  }

  async create(input: FleetCreate): Promise<FleetStrategyView> {
    const { db, clock } = this.deps;
    if (input.type === 'ca-update') return this.createCaUpdate(input);
    if (!input.release) throw new InputError(`required for a ${input.type} strategy`, 'release');
    if (input.expiry_date !== undefined || input.subject !== undefined) throw new InputError('expiry_date and subject are for a ca-update strategy', input.expiry_date !== undefined ? 'expiry_date' : 'subject');
    const release_id = input.release;
    if (input.group && input.subcloud) throw new InputError('subcloud_group and cloud_name cannot both be given: target a group or one subcloud', 'group');
    if (input.group && (input.subcloud_apply_type !== undefined || input.max_parallel_subclouds !== undefined)) {
      throw new InputError(`subcloud_apply_type and max_parallel_subclouds come from group ${input.group}'s settings and cannot be overridden ("starling subcloud-group update" changes them)`, input.subcloud_apply_type !== undefined ? 'subcloud_apply_type' : 'max_parallel_subclouds');
    }
    if (input.type === 'prestage' && input.with_prestage) throw new InputError('with_prestage: only for a sw-deploy strategy (a prestage strategy is all prestage)', 'with_prestage');
    const existing = await this.row();
    if (existing) throw new ConflictError(`a ${existing.type} fleet strategy already exists (${existing.state}); delete it first`);

    const release = await db.selectFrom('releases').select(['id', 'state']).where('id', '=', input.release).executeTakeFirst();
    if (!release) throw new NotFoundError(`no release ${input.release} on the system controller; upload it first ("starling software upload")`, 'release');
    if (input.type === 'sw-deploy' && !(DEPLOYED_STATES as readonly string[]).includes(release.state)) {
      throw new ConflictError(`release ${input.release} is ${release.state} on the system controller: deploy it here first (the system controller is deployed before its subclouds; "starling software deploy start ${input.release}")`, 'release');
    }
    if (input.type === 'prestage' && release.state === 'upload-failed') throw new ConflictError(`release ${input.release} is upload-failed`, 'release');

    let groupId: number | undefined;
    let applyType = input.subcloud_apply_type ?? 'parallel';
    let maxParallel = input.max_parallel_subclouds ?? 2;
    if (input.group) {
      const group = await db.selectFrom('subcloud_groups').selectAll().where('name', '=', input.group).executeTakeFirst();
      if (!group) throw new NotFoundError(`no subcloud group ${input.group}`, 'group');
      groupId = group.id;
      applyType = group.update_apply_type as 'parallel' | 'serial';
      maxParallel = group.max_parallel_subclouds;
    }
    if (!Number.isInteger(maxParallel) || maxParallel < 1 || maxParallel > MAX_PARALLEL_SUBCLOUDS) throw new InputError(`max_parallel_subclouds: 1 to ${MAX_PARALLEL_SUBCLOUDS}`, 'max_parallel_subclouds');
    if (applyType === 'serial') maxParallel = 1;
    if (input.type === 'prestage') maxParallel = Math.min(maxParallel, PRESTAGE_MAX_PARALLEL);

    const steps = pickSteps({ ...input, release: release_id }, await fleetTargets(this.deps.db, input, groupId));

    const job = jobOptions(input);
    const now = clock.now();
    const target = { ...(input.group ? { group: input.group } : {}), ...(input.subcloud ? { subcloud: input.subcloud } : {}) };
    const strategy = { type: input.type, release_id, subcloud_apply_type: applyType, max_parallel_subclouds: maxParallel, stop_on_failure: input.stop_on_failure === true, with_prestage: input.type === 'prestage' || input.with_prestage === true, target, options: job };
    await this.insert(strategy, steps.map((t, i) => ({ ...t, stage: applyType === 'serial' ? i + 1 : Math.floor(i / maxParallel) + 1 })), now, async (trx) => {
      // StarlingX resets a subcloud's error to "No errors present" when a strategy is created for it.
      const stale = await trx.selectFrom('subcloud_errors').select(['subcloud_id', 'cause']).where('cause', 'like', 'orchestration:%').where('cleared_at', 'is', null).execute();
      const chosen = new Set(steps.map((s) => s.id));
      for (const e of stale) if (chosen.has(e.subcloud_id)) await this.deps.errors.clear(trx, e.subcloud_id, e.cause, now);
    });
    return this.show();
  }

  /**
   * A ca-update strategy: one step for every enrolled subcloud, online or
   * not (one offline keeps its step and catches up when it returns); the
   * new root CA is made when it is applied.
   */
  private async createCaUpdate(input: FleetCreate): Promise<FleetStrategyView> {
    const { clock } = this.deps;
    const runner = this.deps.caUpdate;
    if (!runner) throw new ConflictError('a ca-update rotates the fleet root CA of a system controller that serves TLS (--insecure-http has none)', 'type');
    for (const field of ['release', 'group', 'subcloud', 'with_prestage', 'prestage_mbps', 'controller_apply_type', 'worker_apply_type', 'max_parallel_worker_hosts', 'alarm_restrictions', 'subcloud_apply_type', 'max_parallel_subclouds'] as const) {
      if (input[field] !== undefined) throw new InputError(`not for a ca-update strategy (it covers every enrolled subcloud at once)`, field);
    }
    const now = clock.now();
    const options = runner.checkOptions(input, now);
    const existing = await this.row();
    if (existing) throw new ConflictError(`a ${existing.type} fleet strategy already exists (${existing.state}); delete it first`);
    const steps = await runner.targets();
    if (!steps.length) throw new ConflictError('Strategy has no steps to apply: no enrolled subcloud');
    const strategy = { type: 'ca-update', release_id: '', subcloud_apply_type: 'parallel', max_parallel_subclouds: steps.length, stop_on_failure: input.stop_on_failure === true, with_prestage: false, target: {}, options };
    await this.insert(strategy, steps.map((t) => ({ ...t, stage: 1 })), now);
    return this.show();
  }

  /** Writes a new strategy and its steps (all initial) in one transaction, with `also` in it. */
  private async insert(
    strategy: { type: string; release_id: string; subcloud_apply_type: string; max_parallel_subclouds: number; stop_on_failure: boolean; with_prestage: boolean; target: object; options: object },
    steps: Array<{ id: number; name: string; stage: number }>,
    now: number,
    also?: (trx: Kysely<Schema>) => Promise<void>,
  ): Promise<void> {
    const uuid = randomUUID();
    await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('fleet_strategy')
        .values({
          ...strategy,
          id: 1,
          uuid,
          stop_on_failure: strategy.stop_on_failure ? 1 : 0,
          with_prestage: strategy.with_prestage ? 1 : 0,
          target: JSON.stringify(strategy.target),
          options: JSON.stringify(strategy.options),
          state: 'initial',
          reason: '',
          created_at: now,
          updated_at: now,
        })
        .execute();
      const rows = steps.map((t): FleetStrategyStepsTable => ({ subcloud_id: t.id, subcloud_name: t.name, job_key: uuid, stage: t.stage, state: STEP_INITIAL, details: '', progress: null, cause: null, started_at: null, finished_at: null, updated_at: now }));
      for (const slice of chunk(rows, 500)) await trx.insertInto('fleet_strategy_steps').values(slice).execute();
      await also?.(trx);
    });
  }

  async show(): Promise<FleetStrategyView> {
    const view = await showFleetStrategy(this.deps.db);
    if (view.type !== 'ca-update') return view;
    const options = JSON.parse((await this.row())!.options) as { subject?: string; not_after?: number };
    const rotation = this.deps.caUpdate?.rotation();
    return {
      ...view,
      ca_update: {
        phase: rotation?.phase ?? null,
        old_root: rotation ? `sha256:${rotation.old.fingerprint}` : null,
        new_root: rotation ? `sha256:${rotation.next.fingerprint}` : null,
        subject: rotation?.next.subject ?? options.subject ?? null,
        expiry_date: rotation ? new Date(rotation.next.not_after).toISOString() : options.not_after ? new Date(options.not_after).toISOString() : null,
      },
    };
  }

  steps(filter: StepFilter = {}): Promise<{ items: FleetStepView[]; total: number }> {
    return listFleetSteps(this.deps.db, filter);
  }

  async apply(): Promise<FleetStrategyView> {
    const row = await this.row();
    if (!row) throw new NotFoundError('no fleet strategy');
    if (row.state !== 'initial') throw new ConflictError(`the fleet strategy is ${row.state}; only an initial strategy can be applied`);
    if (row.type === 'ca-update') {
      const options = JSON.parse(row.options) as { subject?: string; not_after?: number };
      await this.deps.caUpdate!.begin({ ...(options.subject ? { subject: options.subject } : {}), ...(options.not_after ? { notAfter: options.not_after } : {}) }, this.deps.clock.now());
    }
    await this.deps.db.updateTable('fleet_strategy').set({ state: 'applying', updated_at: this.deps.clock.now() }).where('id', '=', 1).execute();
    await this.tick();
    return this.show();
  }

  async abort(): Promise<FleetStrategyView> {
    const row = await this.row();
    if (!row) throw new NotFoundError('no fleet strategy');
    if (row.state !== 'applying' && row.state !== 'initial') throw new ConflictError(`the fleet strategy is ${row.state}; only an initial or applying strategy can be aborted`);
    const now = this.deps.clock.now();
    if (row.state === 'initial') {
      await this.deps.db.transaction().execute(async (trx) => {
        await trx.updateTable('fleet_strategy_steps').set({ state: 'aborted', finished_at: now, updated_at: now }).where('state', '=', STEP_INITIAL).execute();
        await trx.updateTable('fleet_strategy').set({ state: 'aborted', reason: 'aborted before it was applied', updated_at: now }).where('id', '=', 1).execute();
      });
    } else {
      // Takes effect at once: from here no tick starts a step.
      await this.deps.db.updateTable('fleet_strategy').set({ state: 'abort requested', updated_at: now }).where('id', '=', 1).where('state', '=', 'applying').execute();
    }
    return this.show();
  }

  async delete(): Promise<void> {
    const row = await this.row();
    if (!row) throw new NotFoundError('no fleet strategy');
    if (row.state === 'applying' || row.state === 'abort requested' || row.state === 'aborting') throw new ConflictError(`the fleet strategy is ${row.state}; abort it and let it stop before deleting it`);
    const now = this.deps.clock.now();
    const holding = await this.deps.db.transaction().execute(async (trx) => {
      const ids = (await trx.selectFrom('subclouds').select('id').where('orchestration', 'is not', null).execute()).map((r) => r.id);
      await trx
        .updateTable('subclouds')
        .set({ orchestration: null, generation: sql<number>`generation + 1`, updated_at: now })
        .where('orchestration', 'is not', null)
        .execute();
      await trx.deleteFrom('fleet_strategy_steps').execute();
      await trx.deleteFrom('fleet_strategy').execute();
      return ids;
    });
    // The subclouds forget their finished jobs.
    for (const id of holding) this.deps.waiters.notify(subcloudWaitKey(id));
  }

  /** One pass of the runner; returns the number of steps started. */
  async tick(): Promise<number> {
    const { db, clock } = this.deps;
    const row = await this.row();
    if (!row || (row.state !== 'applying' && row.state !== 'abort requested' && row.state !== 'aborting')) return 0;
    const now = clock.now();
    await this.timeouts(now);
    if (row.type === 'ca-update') return this.tickCaUpdate(row, now);
    const active = Number(
      (await db.selectFrom('fleet_strategy_steps').select(sql<number>`count(*)`.as('n')).where('state', 'not in', STEP_NOT_RUNNING).executeTakeFirst())?.n ?? 0,
    );
    const failed = Number((await db.selectFrom('fleet_strategy_steps').select(sql<number>`count(*)`.as('n')).where('state', '=', 'failed').executeTakeFirst())?.n ?? 0);
    const stopping = row.state !== 'applying' || (row.stop_on_failure === 1 && failed > 0);
    let started = 0;
    if (!stopping && active < row.max_parallel_subclouds) started = await this.start(row, row.max_parallel_subclouds - active, now);
    if (started) return started;
    if (active > 0) {
      if (row.state === 'abort requested') await db.updateTable('fleet_strategy').set({ state: 'aborting', updated_at: now }).where('id', '=', 1).execute();
      return 0;
    }
    const initial = Number((await db.selectFrom('fleet_strategy_steps').select(sql<number>`count(*)`.as('n')).where('state', '=', STEP_INITIAL).executeTakeFirst())?.n ?? 0);
    if (initial > 0 && !stopping) return 0;
    // Nothing runs and nothing more will start: the strategy ends.
    let state: FleetState;
    let reason: string;
    if (row.state !== 'applying') {
      state = 'aborted';
      reason = `aborted; ${initial} step(s) not started`;
    } else if (failed > 0) {
      state = 'failed';
      const causes = await failuresByCause(this.deps.db);
      reason = `${failed} subcloud(s) failed: ${causes.map((c) => `${c.cause} (${c.count})`).join(', ')}${initial ? `; stop-on-failure: ${initial} step(s) not started` : ''}`;
    } else {
      state = 'complete';
      reason = '';
    }
    await db.transaction().execute(async (trx) => {
      if (state === 'aborted' || initial) await trx.updateTable('fleet_strategy_steps').set({ state: 'aborted', finished_at: now, updated_at: now }).where('state', '=', STEP_INITIAL).execute();
      await trx.updateTable('fleet_strategy').set({ state, reason, updated_at: now }).where('id', '=', 1).execute();
    });
    return 0;
  }

  /** A ca-update's pass: its runner moves the steps and the phases; an abort or the end is written here. */
  private async tickCaUpdate(row: { state: string; stop_on_failure: number }, now: number): Promise<number> {
    const runner = this.deps.caUpdate!;
    let end: { state: FleetState; reason: string } | undefined;
    if (row.state !== 'applying') end = { state: 'aborted', reason: await runner.abort() };
    else {
      const outcome = await runner.tick(row.stop_on_failure === 1, now);
      if (outcome.done) end = { state: outcome.state, reason: outcome.reason };
    }
    if (!end) return 0;
    const { state, reason } = end;
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('fleet_strategy_steps').set({ state: 'aborted', finished_at: now, updated_at: now }).where('state', 'not in', STEP_DONE).execute();
      await trx.updateTable('fleet_strategy').set({ state, reason, updated_at: now }).where('id', '=', 1).execute();
    });
    return 0;
  }

  /**
   * Starts up to `slots` steps in order; a subcloud no longer online or
   * managed fails its step instead. Within a stage, subclouds holding a
   * report open right now go first: their job reaches them at once, while
   * one whose link just dropped would hold a slot until it reconnects
   * (behind a satellite link, up to half a minute). It is not skipped: it
   * goes when it is back, or when nothing else in its stage is left.
   */
  private async start(row: { uuid: string; type: string; release_id: string; with_prestage: number; options: string }, slots: number, now: number): Promise<number> {
    const { db } = this.deps;
    const candidates = await db
      .selectFrom('fleet_strategy_steps as f')
      .innerJoin('subclouds as s', 's.id', 'f.subcloud_id')
      .select(['f.subcloud_id', 'f.subcloud_name', 'f.stage', 's.availability_status', 's.management_state'])
      .where('f.state', '=', STEP_INITIAL)
      .orderBy('f.stage')
      .orderBy('f.subcloud_name')
      .limit(slots * REACHABLE_LOOKAHEAD)
      .execute();
    if (!candidates.length) return 0;
    const waiting = (c: { subcloud_id: number }) => (this.deps.waiters.has(subcloudWaitKey(c.subcloud_id)) ? 0 : 1);
    // A stable sort: stage order is kept, and name order among equals.
    const next = candidates.map((c, i) => ({ c, i, w: waiting(c) })).sort((a, b) => a.c.stage - b.c.stage || a.w - b.w || a.i - b.i).slice(0, slots).map((x) => x.c);
    const options = JSON.parse(row.options) as Pick<SiteJob, 'strategy' | 'bytes_per_second'>;
    const job: SiteJob = { key: row.uuid, type: row.type as SiteJob['type'], release_id: row.release_id, prestage: row.with_prestage === 1, ...options };
    const ready = next.filter((n) => n.availability_status === 'online' && n.management_state === 'managed');
    const missed = next.filter((n) => !ready.includes(n));
    const sent = (row.type === 'prestage' ? PRESTAGE_STEP : SW_DEPLOY_STEP).sent;
    await db.transaction().execute(async (trx) => {
      for (const m of missed) {
        const code = m.management_state !== 'managed' ? 'not-managed' : 'offline';
        await this.failStep(trx, m.subcloud_id, m.subcloud_name, { cause: code, where: m.subcloud_name, evidence: `${m.subcloud_name} was ${m.management_state}/${m.availability_status} when its step was due` }, now);
      }
      for (const slice of chunk(ready.map((r) => r.subcloud_id))) {
        // Subclouds, then steps: the order a report's transaction takes them in, so the two cannot deadlock.
        await trx
          .updateTable('subclouds')
          .set({ orchestration: JSON.stringify(job), generation: sql<number>`generation + 1`, ...(row.with_prestage === 1 ? { prestage_status: 'prestaging' } : {}), updated_at: now })
          .where('id', 'in', slice)
          .execute();
        await trx.updateTable('fleet_strategy_steps').set({ state: sent, details: 'job sent to the subcloud', started_at: now, updated_at: now }).where('subcloud_id', 'in', slice).where('state', '=', STEP_INITIAL).execute();
      }
    });
    for (const r of ready) this.deps.waiters.notify(subcloudWaitKey(r.subcloud_id));
    return next.length;
  }

  private async timeouts(now: number): Promise<void> {
    const limit = this.deps.stepTimeoutMs ?? durations.fleetStepTimeoutMs;
    const late = await this.deps.db
      .selectFrom('fleet_strategy_steps')
      .select(['subcloud_id', 'subcloud_name', 'state'])
      // A ca-update step done with its phase waits for the fleet, not for its subcloud.
      .where('state', 'not in', [...STEP_NOT_RUNNING, ...CA_UPDATE_WAITING])
      .where('started_at', '<', now - limit)
      .execute();
    if (!late.length) return;
    await this.deps.db.transaction().execute(async (trx) => {
      for (const l of late) {
        await this.failStep(trx, l.subcloud_id, l.subcloud_name, { cause: 'step-timeout', where: l.subcloud_name, evidence: `still "${l.state}" ${Math.round(limit / 60_000)} min after it started` }, now);
      }
    });
  }

  private async failStep(trx: Kysely<Schema>, subcloudId: number, name: string, failure: { cause: string; where: string; evidence: string }, now: number, alarmRestrictions?: string): Promise<void> {
    // The subcloud's row first, as a report's transaction takes it (FOR UPDATE) before it moves the step: the other
    // order (step, then the error row's key lock on the subcloud) deadlocked against a report on PostgreSQL.
    if (this.deps.dialect === 'postgres') await trx.selectFrom('subclouds').select('id').where('id', '=', subcloudId).forUpdate().execute();
    const text = causeText(failure.cause, alarmRestrictions);
    const repair = text.repair.replaceAll('{name}', name);
    const cause: StepCause = { cause: failure.cause, what: text.what, where: failure.where.startsWith(name) ? failure.where : `${name}: ${failure.where}`, evidence: failure.evidence, repair };
    await trx
      .updateTable('fleet_strategy_steps')
      .set({ state: 'failed', details: `${cause.where}: ${failure.evidence}`.slice(0, 2000), cause: JSON.stringify(cause), finished_at: now, updated_at: now })
      .where('subcloud_id', '=', subcloudId)
      .execute();
    await this.deps.errors.record(trx, subcloudId, { cause: `orchestration:${failure.cause.slice(0, 32)}`, what: `fleet strategy: ${text.what}`, evidence: `${cause.where}: ${failure.evidence}`, repair: text.repair }, now);
  }

  /**
   * A subcloud's report of its job, in the report's transaction: moves its
   * step (only this strategy's, and only forward: a finished step stays).
   * Returns true when the step finished (call stepFinished() after commit).
   */
  async reported(trx: Kysely<Schema>, subcloud: { id: number; name: string }, status: SiteJobStatus, now: number): Promise<boolean> {
    const step = await trx.selectFrom('fleet_strategy_steps').select(['state', 'details', 'progress']).where('subcloud_id', '=', subcloud.id).where('job_key', '=', status.key).executeTakeFirst();
    if (!step || step.state === STEP_INITIAL || (STEP_DONE as readonly string[]).includes(step.state)) return false;
    const strategy = await this.row(trx);
    if (!strategy) return false;
    const prestage = strategy.type === 'prestage';
    if (status.state === 'failed') {
      const restrictions = (JSON.parse(strategy.options) as { strategy?: { alarm_restrictions?: string } }).strategy?.alarm_restrictions;
      await this.failStep(trx, subcloud.id, subcloud.name, status.failure ?? { cause: 'strategy-failed', where: subcloud.name, evidence: status.details }, now, restrictions);
      if (strategy.with_prestage === 1 && (prestage || status.failure?.where.startsWith('prestage'))) await trx.updateTable('subclouds').set({ prestage_status: 'failed' }).where('id', '=', subcloud.id).execute();
      return true;
    }
    const state = (prestage ? PRESTAGE_STEP : SW_DEPLOY_STEP)[status.state];
    // Each report carries what it knows: fetch progress stays once the deploy reports its steps.
    const before = step.progress ? (JSON.parse(step.progress) as FleetStepView['progress']) : null;
    const merged = { ...before, ...(status.steps ? { steps: status.steps } : {}), ...(status.bytes ? { bytes: status.bytes } : {}) };
    const progress = Object.keys(merged).length ? JSON.stringify(merged) : null;
    if (state === step.state && status.details === step.details && progress === step.progress) return false;
    const done = status.state === 'complete';
    await trx
      .updateTable('fleet_strategy_steps')
      .set({ state, details: status.details.slice(0, 2000), progress, ...(done ? { finished_at: now } : {}), updated_at: now })
      .where('subcloud_id', '=', subcloud.id)
      .execute();
    const prestaged = strategy.with_prestage === 1 && (done || status.state === 'creating' || status.state === 'applying' || status.state === 'finishing');
    if (prestaged) await trx.updateTable('subclouds').set({ prestage_status: 'complete' }).where('id', '=', subcloud.id).where('prestage_status', '!=', 'complete').execute();
    return done;
  }
}
