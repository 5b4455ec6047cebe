/**
 * The maintenance loop: every pulse period, judges each host's heartbeat and
 * applies transitions.
 * - ok → degraded: 200.005 (major) on the management network; availability degraded.
 * - → failed: 200.005 (critical) and 200.004; the host is failed and recovery is
 *   asked of its agent (a `recover` action in its desired state, which waits
 *   there if the agent is gone) — unless two or more hosts lost heartbeat at
 *   once (MNFA): then alarms only. A failed active controller hands the
 *   active role to a healthy standby (swact on failure, 401.007 logged).
 * - Locked hosts that stop reporting just go offline.
 * - A host whose pulses come back is ok again at once; a report does the same.
 *
 * A host that pulses (pulse-receiver.ts) is judged by the pulse period; one
 * that does not (an older agent, a site with the heartbeat off, or any host
 * until its first pulse after a controller restart) by its reports. The
 * hosts' rows are read once a second, pulses are in memory, and the
 * database is written only for transitions, each re-judged in its
 * transaction, so a report or pulse that arrived meanwhile wins.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { durations } from '../../core/durations.js';
import { newUuid } from '../../core/ids.js';
import type { Logger } from '../../core/logging.js';
import type { Dialect } from '../../db/database.js';
import type { HostRow, Schema } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { BatchInput, FaultService } from '../alarms/fault.service.js';
import { deriveState } from './availability.js';
import { heartbeatFor, MNFA_THRESHOLD, type Heartbeat, type HeartbeatPolicy } from './heartbeat.js';
import { factsOf, taskFor, type PendingAction } from './host-actions.js';
import type { PulseReceiver } from './pulse-receiver.js';

export interface HeartbeatMonitorDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  clock: Clock;
  fault: FaultService;
  waiters: Waiters;
  /** Judges hosts by their reports: the report interval. */
  policy: HeartbeatPolicy;
  /** The host heartbeat, when the site has it on: hosts that pulse are judged by its period. */
  pulses?: PulseReceiver;
  /** When this controller process started: hosts get a full window from then. */
  startedAt: number;
  log: Logger;
}

type Snapshot = Pick<HostRow, 'id' | 'hostname' | 'administrative' | 'heartbeat' | 'last_report_at'>;
export interface Transition {
  hostname: string;
  from: Heartbeat;
  to: Heartbeat;
  recovery: boolean;
  /** The peer that took the active controller role, if this host was the active controller. */
  swactTo?: string;
}

/** A tick this many periods late means the process itself was stalled. */
const STALL_PERIODS = 3;

const mgmt = (hostname: string) => `host=${hostname}.network=mgmt`;

export class HeartbeatMonitor {
  private snapshot: Snapshot[] | undefined;
  private snapshotAt = -Infinity;
  /** Pulses are counted from here at the earliest: the loop was stalled before it (excuse()). */
  private excusedAt = -Infinity;
  private readonly pulsePolicy: HeartbeatPolicy | undefined;
  private lastTickEndedAt: number | undefined;

  constructor(private readonly deps: HeartbeatMonitorDeps) {
    const period = deps.pulses?.enabled ? deps.pulses.periodMs : 0;
    this.pulsePolicy = period > 0 ? { intervalMs: period, degradePulses: deps.policy.degradePulses, failPulses: deps.policy.failPulses } : undefined;
  }

  /** How often the loop should tick: one pulse period (or report interval without pulses). */
  get tickMs(): number {
    return this.pulsePolicy?.intervalMs ?? this.deps.policy.intervalMs;
  }

  /**
   * This process could not look for a while (its event loop was blocked, or
   * the machine starved it): pulses that arrived meanwhile may still be
   * unread in the socket. No host is counted as missing pulses before now.
   */
  excuse(now: number): void {
    this.excusedAt = now;
  }

  private judge(host: Snapshot, now: number): { next: Heartbeat; policy: HeartbeatPolicy; aliveAt: number | null } {
    const pulseAt = this.pulsePolicy ? this.deps.pulses!.lastPulseAt(host.id) : undefined;
    if (pulseAt === undefined || !this.pulsePolicy) {
      const aliveAt = host.last_report_at === null ? null : Math.max(host.last_report_at, this.excusedAt);
      return { next: heartbeatFor(aliveAt, this.deps.startedAt, now, this.deps.policy), policy: this.deps.policy, aliveAt };
    }
    const aliveAt = Math.max(pulseAt, host.last_report_at ?? 0, this.excusedAt);
    return { next: heartbeatFor(aliveAt, this.deps.startedAt, now, this.pulsePolicy), policy: this.pulsePolicy, aliveAt };
  }

  private async hosts(now: number): Promise<Snapshot[]> {
    if (this.snapshot && now - this.snapshotAt < durations.hostSnapshotRefreshMs && now >= this.snapshotAt) return this.snapshot;
    this.snapshot = await this.deps.db
      .selectFrom('hosts')
      .select(['id', 'hostname', 'administrative', 'heartbeat', 'last_report_at'])
      .where('last_report_at', 'is not', null)
      .execute();
    this.snapshotAt = now;
    return this.snapshot;
  }

  /**
   * The loop's tick: a tick that starts well after it was due means this
   * process was not running (a blocked event loop, a starved machine), so
   * pulses may be waiting unread in the socket: excused, not counted.
   */
  async loopTick(): Promise<void> {
    const started = performance.now();
    const late = this.lastTickEndedAt === undefined ? 0 : started - this.lastTickEndedAt - this.tickMs;
    if (late > STALL_PERIODS * this.tickMs) {
      this.excuse(this.deps.clock.now());
      this.deps.log.warn({ lateMs: Math.round(late) }, 'maintenance loop ran late: pulses missed meanwhile are not counted');
    }
    try {
      await this.tick();
    } finally {
      this.lastTickEndedAt = performance.now();
    }
  }

  /** One pass over all hosts; returns the transitions made (for logs and tests). */
  async tick(): Promise<Transition[]> {
    const now = this.deps.clock.now();
    const hosts = await this.hosts(now);
    const evaluated = hosts.map((host) => ({ host, ...this.judge(host, now) }));
    // Losses at about the same time: hosts whose last sign of life falls within
    // two failure windows. Hosts killed together stop up to a pulse apart and
    // may fail in different ticks, so both still count; a host that died long
    // ago does not turn every later single failure into MNFA.
    const lost = evaluated.filter(
      (e) => e.host.administrative === 'unlocked' && (e.next === 'degraded' || e.next === 'failed') && (e.aliveAt ?? 0) >= now - 2 * e.policy.failPulses * e.policy.intervalMs,
    ).length;
    const mnfa = lost >= MNFA_THRESHOLD;
    const transitions: Transition[] = [];
    for (const { host, next, policy } of evaluated) {
      const from = host.heartbeat as Heartbeat;
      if (next === from || (from === 'failed' && next === 'degraded')) continue;
      // Getting better is a report's job, or, for a host that pulses (judged by the pulse policy), its pulses'.
      if (next === 'ok' && (from === 'none' || policy === this.deps.policy)) continue;
      const applied = await this.transition(host.id, next, !mnfa, now);
      if (applied) transitions.push(applied);
    }
    if (transitions.length) {
      const worse = transitions.some((t) => t.to !== 'ok');
      this.deps.log[worse ? 'warn' : 'info']({ transitions, mnfa }, mnfa && worse ? 'heartbeat lost on several hosts at once (MNFA): alarms only, no recovery' : 'heartbeat transitions');
    }
    return transitions;
  }

  /** Applies one transition if the host, read again in the transaction, still warrants it. */
  private async transition(hostId: string, next: Heartbeat, recoveryAllowed: boolean, now: number): Promise<Transition | undefined> {
    const result = await this.deps.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('hosts').selectAll().where('id', '=', hostId);
      if (this.deps.dialect === 'postgres') q = q.forUpdate();
      const current = await q.executeTakeFirst();
      // A report or pulse arrived meanwhile, or another process judged it: nothing to do.
      if (!current || current.heartbeat === next || this.judge(current, now).next !== next) return undefined;
      const unlocked = current.administrative === 'unlocked';
      const recovery = next === 'failed' && unlocked && recoveryAllowed;
      const batch = alarmsFor(current, next, recovery, now);
      const peer = next === 'failed' ? await this.swactPeer(trx, current, now) : undefined;
      if (peer) {
        batch.log = [
          {
            alarm_id: '401.007',
            entity_instance_id: `host=${current.hostname}`,
            severity: 'critical',
            reason_text: `Swact on failure: ${peer.hostname} is now the active controller (${current.hostname} failed).`,
          },
        ];
      }
      const effects = batch.raise!.length + batch.clear!.length + (batch.log?.length ?? 0) ? await this.deps.fault.applyBatch(trx, batch) : undefined;
      const state = deriveState({ ...factsOf(current), heartbeat: next });
      const actions = JSON.parse(current.actions) as PendingAction[];
      const nextActions = recovery ? [...actions, { id: newUuid(now), kind: 'recover' }] : actions;
      const change: Partial<HostRow> = {
        heartbeat: next,
        ...state,
        task: taskFor(nextActions),
        updated_at: now,
        ...(recovery ? { actions: JSON.stringify(nextActions), generation: current.generation + 1, recovery_requested_at: now } : {}),
        ...(next === 'ok' ? { recovery_requested_at: null } : {}),
        ...(peer ? { controller_role: 'standby', generation: current.generation + 1 } : {}),
      };
      await trx.updateTable('hosts').set(change).where('id', '=', current.id).execute();
      if (peer) await trx.updateTable('hosts').set({ controller_role: 'active', generation: peer.generation + 1, updated_at: now }).where('id', '=', peer.id).execute();
      return { effects, current, recovery, peer };
    });
    if (!result) return undefined;
    if (result.effects) this.deps.fault.committed(result.effects);
    const { current, recovery, peer } = result;
    const seen = this.snapshot?.find((h) => h.id === hostId);
    if (seen) seen.heartbeat = next;
    if (recovery || peer) this.deps.waiters.notify(hostId);
    if (peer) this.deps.waiters.notify(peer.id);
    return { hostname: current.hostname, from: current.heartbeat as Heartbeat, to: next, recovery, ...(peer ? { swactTo: peer.hostname } : {}) };
  }

  /**
   * The standby that takes over from a failing active controller: unlocked,
   * enabled and with a live heartbeat. None: the role stays (a site with no
   * healthy controller has nobody to hand it to).
   */
  private async swactPeer(trx: Kysely<Schema>, failing: HostRow, now: number): Promise<HostRow | undefined> {
    if (failing.personality !== 'controller' || failing.controller_role !== 'active') return undefined;
    let q = trx.selectFrom('hosts').selectAll().where('personality', '=', 'controller').where('id', '!=', failing.id);
    if (this.deps.dialect === 'postgres') q = q.forUpdate();
    const peers = await q.execute();
    return peers.find((p) => p.administrative === 'unlocked' && p.operational === 'enabled' && p.heartbeat === 'ok' && this.judge(p, now).next === 'ok');
  }
}

/** The heartbeat alarms a transition raises or clears. */
function alarmsFor(host: HostRow, next: Heartbeat, recovery: boolean, now: number): BatchInput {
  const batch: BatchInput = { raise: [], clear: [] };
  if (next === 'ok') {
    batch.clear!.push({ alarm_id: '200.005', entity_instance_id: mgmt(host.hostname) }, { alarm_id: '200.004', entity_instance_id: `host=${host.hostname}` });
    return batch;
  }
  if (host.administrative !== 'unlocked') return batch;
  const silentFor = host.last_report_at === null ? '' : ` (last report ${Math.round((now - host.last_report_at) / 1000)} s ago)`;
  batch.raise!.push({
    alarm_id: '200.005',
    entity_instance_id: mgmt(host.hostname),
    severity: next === 'failed' ? 'critical' : 'major',
    reason_text: `${host.hostname} experienced a ${next === 'failed' ? 'persistent critical' : 'persistent'} Management Network communication failure${silentFor}`,
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
  return batch;
}
