/**
 * The site's sw-deploy strategy (VIM orchestration): create builds the plan
 * from current state; apply runs it step by step from a level-triggered
 * `tick()` — each tick looks at the row, starts the next step or checks the
 * one in progress, and writes the result back. Nothing lives only in
 * memory, so after a restart the next tick carries on: a step in progress
 * is checked again, and every action it takes is guarded by the state it
 * finds (a host already deployed is not deployed twice).
 *
 * A failed step fails the strategy (apply-failed), a step past its timeout
 * times it out (apply-timeout); abort lets the step in progress finish and
 * starts nothing more (aborted).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import type { HostActions } from '../hosts/host-actions.js';
import type { DeployService } from '../software/deploy.service.js';
import { buildPlan, type Stage, type Step, type StrategyOptions, type StrategyState } from './sw-strategy.plan.js';

/** Alarms a sw-deploy strategy never waits for (StarlingX's ignore list). */
const IGNORED = /^(100\.119|200\.001|200\.003|250\.001|280\.00\d|900\.02[0-3]|900\.(201|202|231|401|402|701))$/;

/** "upgrade-hosts controller-0,controller-1", or just the step's name. */
const where = (step: Step) => [step.name, step.entity_names.join(',')].filter(Boolean).join(' ');

export interface StrategyView {
  type: 'sw-deploy';
  state: StrategyState;
  options: StrategyOptions;
  reason: string;
  abort_requested: boolean;
  /** Steps finished, of all. */
  progress: { done: number; total: number };
  current: { stage: string; step: string; entity_names: string[] } | null;
  stages: Stage[];
  created_at: string;
  updated_at: string;
}

export class SwStrategyService {
  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock; deploy: DeployService; actions: HostActions }) {}

  private async row() {
    return this.deps.db.selectFrom('sw_strategy').selectAll().where('id', '=', 1).executeTakeFirst();
  }

  async create(options: StrategyOptions): Promise<StrategyView> {
    if (!Number.isInteger(options.max_parallel_worker_hosts) || options.max_parallel_worker_hosts < 2 || options.max_parallel_worker_hosts > 10) {
      throw new InputError('max_parallel_worker_hosts: 2 to 10 (StarlingX)', 'max_parallel_worker_hosts');
    }
    const existing = await this.row();
    if (existing) throw new ConflictError(`a ${existing.type} strategy already exists (${existing.state}); delete it first`);
    const { db, clock } = this.deps;
    const release = await db.selectFrom('releases').select(['id', 'state', 'reboot_required']).where('id', '=', options.release).executeTakeFirst();
    if (!release) throw new NotFoundError(`no release ${options.release}`, 'release');
    const hosts = await db.selectFrom('hosts').select(['hostname', 'personality']).orderBy('hostname').execute();
    const now = clock.now();
    let state: StrategyState = 'ready-to-apply';
    let reason = '';
    if (release.state !== 'available') {
      state = 'build-failed';
      reason = `release ${options.release} is ${release.state}; a sw-deploy strategy deploys an available release`;
    }
    const stages = buildPlan(options, hosts, release.reboot_required === 1);
    await db.insertInto('sw_strategy').values({ id: 1, type: 'sw-deploy', options: JSON.stringify(options), state, stages: JSON.stringify(stages), abort_requested: 0, reason, created_at: now, updated_at: now }).execute();
    return this.show();
  }

  async show(): Promise<StrategyView> {
    const row = await this.row();
    if (!row) throw new NotFoundError('no sw-deploy strategy');
    const stages = JSON.parse(row.stages) as Stage[];
    const steps = stages.flatMap((s) => s.steps.map((step) => ({ stage: s.name, step })));
    const current = steps.find((s) => s.step.result === 'inprogress') ?? (row.state === 'applying' ? steps.find((s) => s.step.result === 'initial') : undefined);
    return {
      type: 'sw-deploy',
      state: row.state as StrategyState,
      options: JSON.parse(row.options) as StrategyOptions,
      reason: row.reason,
      abort_requested: row.abort_requested === 1,
      progress: { done: steps.filter((s) => s.step.result !== 'initial' && s.step.result !== 'inprogress').length, total: steps.length },
      current: current ? { stage: current.stage, step: current.step.name, entity_names: current.step.entity_names } : null,
      stages,
      created_at: new Date(Number(row.created_at)).toISOString(),
      updated_at: new Date(Number(row.updated_at)).toISOString(),
    };
  }

  async apply(): Promise<StrategyView> {
    const row = await this.row();
    if (!row) throw new NotFoundError('no sw-deploy strategy');
    if (row.state !== 'ready-to-apply') throw new ConflictError(`the strategy is ${row.state}; only a ready-to-apply strategy can be applied`);
    await this.deps.db.updateTable('sw_strategy').set({ state: 'applying', updated_at: this.deps.clock.now() }).where('id', '=', 1).execute();
    return this.show();
  }

  async abort(): Promise<StrategyView> {
    const row = await this.row();
    if (!row) throw new NotFoundError('no sw-deploy strategy');
    if (row.state !== 'applying' && row.state !== 'ready-to-apply') throw new ConflictError(`the strategy is ${row.state}; only an applying or ready-to-apply strategy can be aborted`);
    await this.deps.db.updateTable('sw_strategy').set({ state: row.state === 'applying' ? 'aborting' : 'aborted', abort_requested: 1, updated_at: this.deps.clock.now() }).where('id', '=', 1).execute();
    return this.show();
  }

  async delete(): Promise<void> {
    const row = await this.row();
    if (!row) throw new NotFoundError('no sw-deploy strategy');
    if (row.state === 'applying' || row.state === 'aborting') throw new ConflictError(`the strategy is ${row.state}; abort it and let it stop before deleting it`);
    await this.deps.db.deleteFrom('sw_strategy').execute();
  }

  /** One step of the runner; returns true when it changed something. */
  async tick(): Promise<boolean> {
    const row = await this.row();
    if (!row || (row.state !== 'applying' && row.state !== 'aborting')) return false;
    const stages = JSON.parse(row.stages) as Stage[];
    const options = JSON.parse(row.options) as StrategyOptions;
    const now = this.deps.clock.now();
    const all = stages.flatMap((s) => s.steps);
    const step = all.find((s) => s.result === 'inprogress') ?? all.find((s) => s.result === 'initial');
    let state = row.state as StrategyState;
    let reason = row.reason;
    if (!step) {
      state = state === 'aborting' ? 'aborted' : 'applied';
    } else if (step.result === 'initial' && state === 'aborting') {
      for (const s of all) if (s.result === 'initial') s.result = 'aborted';
      state = 'aborted';
    } else {
      if (step.result === 'initial') {
        step.result = 'inprogress';
        step.started_at = now;
      }
      const outcome = await this.advance(step, options).catch((err: Error) => ({ done: true, ok: false, reason: err.message }));
      if (outcome.done) {
        step.result = outcome.ok ? 'success' : 'failed';
        step.reason = outcome.reason ?? '';
        step.finished_at = now;
        if (!outcome.ok) {
          state = 'apply-failed';
          reason = `${where(step)}: ${step.reason}`;
        }
      } else if (now - (step.started_at ?? now) > step.timeout_s * 1000) {
        step.result = 'timed-out';
        step.reason = `not done within ${step.timeout_s} s${outcome.reason ? `: ${outcome.reason}` : ''}`;
        step.finished_at = now;
        state = 'apply-timeout';
        reason = `${where(step)}: ${step.reason}`;
      }
    }
    await this.deps.db.updateTable('sw_strategy').set({ stages: JSON.stringify(stages), state, reason, updated_at: now }).where('id', '=', 1).execute();
    return true;
  }

  /** Starts or checks one step; `done` with `ok`, or not yet (with what it waits for). */
  private async advance(step: Step, options: StrategyOptions): Promise<{ done: boolean; ok?: boolean; reason?: string }> {
    const { db, deploy, actions } = this.deps;
    const hosts = async () => db.selectFrom('hosts').select(['hostname', 'administrative', 'operational', 'availability']).where('hostname', 'in', step.entity_names.length ? step.entity_names : ['']).execute();
    const current = async () => deploy.show().catch(() => undefined);
    switch (step.name) {
      case 'query-alarms': {
        if (options.alarm_restrictions === 'permissive') return { done: true, ok: true };
        let q = db.selectFrom('alarms').select(['alarm_id', 'entity_instance_id']);
        if (options.alarm_restrictions === 'relaxed') q = q.where('mgmt_affecting', '=', 1);
        const blocking = (await q.execute()).filter((a) => !IGNORED.test(a.alarm_id));
        return blocking.length ? { done: true, ok: false, reason: `alarms block the strategy (${options.alarm_restrictions}): ${blocking.slice(0, 5).map((a) => `${a.alarm_id} on ${a.entity_instance_id}`).join(', ')}` } : { done: true, ok: true };
      }
      case 'sw-deploy-precheck': {
        const r = await deploy.precheck(options.release, { force: options.alarm_restrictions !== 'strict' });
        return r.ok ? { done: true, ok: true } : { done: true, ok: false, reason: r.findings.filter((f) => !f.ok).map((f) => `${f.check}: ${f.detail}`).join('; ') };
      }
      case 'start-upgrade': {
        const d = await current();
        if (!d) await deploy.start(options.release, { force: options.alarm_restrictions !== 'strict' });
        else if (d.release_id !== options.release) return { done: true, ok: false, reason: `another deploy (${d.release_id}) is in progress` };
        return { done: true, ok: true };
      }
      case 'lock-hosts': {
        for (const h of await hosts()) if (h.administrative !== 'locked') await actions.run(h.hostname, 'lock');
        return { done: true, ok: true };
      }
      case 'upgrade-hosts': {
        const d = await current();
        if (!d) return { done: true, ok: false, reason: 'the deploy is gone' };
        const mine = d.hosts.filter((h) => step.entity_names.includes(h.hostname));
        for (const h of mine) if (h.state === 'pending') await deploy.deployHost(h.hostname);
        const failed = mine.find((h) => h.state === 'failed');
        if (failed) return { done: true, ok: false, reason: `deploy failed on ${failed.hostname}: ${failed.error ?? ''}`.slice(0, 2000) };
        if (mine.every((h) => h.state === 'deployed')) return { done: true, ok: true };
        return { done: false, reason: `waiting for ${mine.filter((h) => h.state !== 'deployed').map((h) => h.hostname).join(', ')}` };
      }
      case 'unlock-hosts': {
        for (const h of await hosts()) if (h.administrative === 'locked') await actions.run(h.hostname, 'unlock');
        return { done: true, ok: true };
      }
      case 'system-stabilize': {
        const waiting = (await hosts()).filter((h) => h.availability !== 'available' && h.availability !== 'degraded');
        return waiting.length ? { done: false, reason: `waiting for ${waiting.map((h) => `${h.hostname} (${h.availability})`).join(', ')} to be available` } : { done: true, ok: true };
      }
      case 'activate-upgrade': {
        const d = await current();
        if (d?.state === 'host-done' || d?.state === 'activate-failed') await deploy.activate();
        return { done: true, ok: true };
      }
      case 'complete-upgrade': {
        const d = await current();
        if (d?.state === 'activate-done') await deploy.complete();
        return { done: true, ok: true };
      }
      case 'sw-deploy-delete': {
        const d = await current();
        if (d) await deploy.delete();
        return { done: true, ok: true };
      }
    }
  }
}
