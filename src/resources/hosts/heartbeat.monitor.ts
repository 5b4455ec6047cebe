/**
 * The maintenance loop: every pulse, re-evaluates each host's heartbeat from
 * its last report time and applies transitions.
 * - ok → degraded: 200.005 (major) on the management network; availability degraded.
 * - → failed: 200.005 (critical) and 200.004; the host is failed and recovery is
 *   asked of its agent (a `recover` action in its desired state, which waits
 *   there if the agent is gone) — unless two or more hosts lost heartbeat at
 *   once (MNFA): then alarms only.
 * - Locked hosts that stop reporting just go offline.
 * A report from the host (report.service) clears the alarms and the state.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { newUuid } from '../../core/ids.js';
import type { Logger } from '../../core/logging.js';
import type { Dialect } from '../../db/database.js';
import type { HostRow, Schema } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { BatchInput, FaultService } from '../alarms/fault.service.js';
import { deriveState } from './availability.js';
import { heartbeatFor, MNFA_THRESHOLD, type Heartbeat, type HeartbeatPolicy } from './heartbeat.js';
import { factsOf, taskFor, type PendingAction } from './host-actions.js';

export interface HeartbeatMonitorDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  clock: Clock;
  fault: FaultService;
  waiters: Waiters;
  policy: HeartbeatPolicy;
  /** When this controller process started: hosts get a full window from then. */
  startedAt: number;
  log: Logger;
}

const mgmt = (hostname: string) => `host=${hostname}.network=mgmt`;

export class HeartbeatMonitor {
  constructor(private readonly deps: HeartbeatMonitorDeps) {}

  /** One pass over all hosts; returns the transitions made (for logs and tests). */
  async tick(): Promise<Array<{ hostname: string; from: Heartbeat; to: Heartbeat; recovery: boolean }>> {
    const now = this.deps.clock.now();
    const hosts = await this.deps.db
      .selectFrom('hosts')
      .select(['id', 'hostname', 'administrative', 'heartbeat', 'last_report_at'])
      .where('last_report_at', 'is not', null)
      .execute();
    const evaluated = hosts.map((h) => ({ host: h, next: heartbeatFor(h.last_report_at, this.deps.startedAt, now, this.deps.policy) }));
    // Losses at about the same time: hosts whose last report falls within two
    // failure windows. Hosts killed together stop reporting up to a pulse
    // apart and may fail in different ticks, so both still count; a host that
    // died long ago does not turn every later single failure into MNFA.
    const recent = now - 2 * this.deps.policy.failPulses * this.deps.policy.intervalMs;
    const lost = evaluated.filter(
      (e) => e.host.administrative === 'unlocked' && (e.next === 'degraded' || e.next === 'failed') && (e.host.last_report_at ?? 0) >= recent,
    ).length;
    const mnfa = lost >= MNFA_THRESHOLD;
    const transitions = [];
    for (const { host, next } of evaluated) {
      const from = host.heartbeat as Heartbeat;
      // Only worsening is decided here; getting better is a report's job.
      if (next === 'ok' || next === from || (from === 'failed' && next === 'degraded')) continue;
      const recovery = next === 'failed' && host.administrative === 'unlocked' && !mnfa;
      const applied = await this.transition(host, next, recovery, now);
      if (applied) transitions.push({ hostname: host.hostname, from, to: next, recovery });
    }
    if (transitions.length) this.deps.log.warn({ transitions, mnfa }, mnfa ? 'heartbeat lost on several hosts at once (MNFA): alarms only, no recovery' : 'heartbeat transitions');
    return transitions;
  }

  private async transition(host: Pick<HostRow, 'id' | 'hostname' | 'administrative' | 'heartbeat' | 'last_report_at'>, next: Heartbeat, recovery: boolean, now: number): Promise<boolean> {
    const unlocked = host.administrative === 'unlocked';
    const batch: BatchInput = { raise: [] };
    if (unlocked) {
      batch.raise!.push({
        alarm_id: '200.005',
        entity_instance_id: mgmt(host.hostname),
        severity: next === 'failed' ? 'critical' : 'major',
        reason_text: `${host.hostname} experienced a ${next === 'failed' ? 'persistent critical' : 'persistent'} Management Network communication failure (no report for ${Math.round((now - host.last_report_at!) / 1000)} s)`,
      });
      if (next === 'failed') {
        batch.raise!.push({
          alarm_id: '200.004',
          entity_instance_id: `host=${host.hostname}`,
          severity: 'critical',
          reason_text: recovery
            ? `${host.hostname} experienced a service-affecting failure; auto-recovery requested`
            : `${host.hostname} experienced a service-affecting failure; no auto-recovery while several hosts are failing (multi-node failure avoidance)`,
        });
      }
    }
    const result = await this.deps.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('hosts').selectAll().where('id', '=', host.id);
      if (this.deps.dialect === 'postgres') q = q.forUpdate();
      const current = await q.executeTakeFirst();
      // A report arrived meanwhile: nothing to do.
      if (!current || current.last_report_at !== host.last_report_at || current.heartbeat !== host.heartbeat) return undefined;
      const effects = batch.raise!.length ? await this.deps.fault.applyBatch(trx, batch) : undefined;
      const state = deriveState({ ...factsOf(current), heartbeat: next });
      const actions = JSON.parse(current.actions) as PendingAction[];
      const nextActions = recovery ? [...actions, { id: newUuid(now), kind: 'recover' }] : actions;
      const change = {
        heartbeat: next,
        ...state,
        task: taskFor(nextActions),
        updated_at: now,
        ...(recovery ? { actions: JSON.stringify(nextActions), generation: current.generation + 1, recovery_requested_at: now } : {}),
      };
      await trx.updateTable('hosts').set(change).where('id', '=', current.id).execute();
      return { effects };
    });
    if (!result) return false;
    if (result.effects) this.deps.fault.committed(result.effects);
    if (recovery) this.deps.waiters.notify(host.id);
    return true;
  }
}
