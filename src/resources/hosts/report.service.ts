/**
 * Handles host agent reports (the parent side of the report protocol).
 *
 * In one transaction: the report's new queued operations (those above the
 * host's last applied sequence) become alarm changes, the acknowledged
 * sequence and the reported status are recorded, and the arrival time is the
 * heartbeat. Then, if the agent is up to date, the reply is held (long poll)
 * until the host's desired state changes or `wait_ms` passes.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { UnauthenticatedError } from '../../core/errors.js';
import type { Logger } from '../../core/logging.js';
import type { Dialect } from '../../db/database.js';
import type { HostsTable, Schema } from '../../db/schema.js';
import type { Updateable } from 'kysely';
import type { AgentOp, Reply, Report, SoftwareStatus, SoftwareTarget } from '../../protocol/agent-wire.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { BatchEffects, BatchInput, FaultService } from '../alarms/fault.service.js';
import { deriveState } from './availability.js';
import { factsOf, taskFor, type PendingAction } from './host-actions.js';
import { HOST_STATE_COLUMNS, type HostState } from './host.store.js';
import type { PulseReceiver } from './pulse-receiver.js';
import type { PulseSession } from '../../protocol/pulse-wire.js';

export interface ReportServiceDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  clock: Clock;
  fault: FaultService;
  waiters: Waiters;
  reportIntervalMs: number;
  log: Logger;
  /** Told how long each report took to handle, without the long-poll hold. */
  observe?: (durationMs: number) => void;
  /** Told, after commit, of a host's newly reported software status (the deploy follows it). */
  softwareReported?: (hostId: string, status: SoftwareStatus) => Promise<void>;
  /** The host heartbeat: agents that pulse are handed their session in a reply. */
  pulses?: PulseReceiver;
}

/** Alarms maintenance raises for lost heartbeat; a report from the host clears them. */
export const HEARTBEAT_ALARMS = ['200.005', '200.004'] as const;

const belongsTo = (hostname: string, entity: string) => entity === `host=${hostname}` || entity.startsWith(`host=${hostname}.`);

export class ReportService {
  constructor(private readonly deps: ReportServiceDeps) {}

  /**
   * Turns queued operations into one batch: the last operation per alarm
   * wins (an alarm raised and cleared while the link was down ends cleared),
   * logs are kept in order. Operations the host may not send (another host's
   * entity) or that fail validation are dropped and logged, never retried:
   * a poison operation must not wedge the queue.
   */
  private toBatch(hostname: string, ops: Array<{ seq: number; op: AgentOp }>): BatchInput {
    const last = new Map<string, AgentOp>();
    const logs: AgentOp[] = [];
    for (const { seq, op } of ops) {
      if (!belongsTo(hostname, op.entity_instance_id)) {
        this.deps.log.warn({ hostname, seq, entity: op.entity_instance_id }, 'dropped an agent operation for an entity outside its host');
        continue;
      }
      try {
        if (op.kind === 'clear') this.deps.fault.validateBatch({ clear: [{ alarm_id: op.alarm_id, entity_instance_id: op.entity_instance_id }] });
        else if (op.kind === 'raise') this.deps.fault.validateBatch({ raise: [raiseOf(op)] });
        else this.deps.fault.validateBatch({ log: [raiseOf(op)] });
      } catch (err) {
        this.deps.log.warn({ hostname, seq, err: (err as Error).message }, 'dropped an invalid agent operation');
        continue;
      }
      if (op.kind === 'log') logs.push(op);
      else last.set(`${op.alarm_id}\u0000${op.entity_instance_id}`, op);
    }
    const finals = [...last.values()];
    return {
      raise: finals.filter((o) => o.kind === 'raise').map(raiseOf),
      clear: finals.filter((o) => o.kind === 'clear').map((o) => ({ alarm_id: o.alarm_id, entity_instance_id: o.entity_instance_id })),
      log: logs.map(raiseOf),
    };
  }

  async handle(hostId: string, report: Report): Promise<Reply> {
    const started = performance.now();
    const now = this.deps.clock.now();
    const { host, effects, needStatus } = await this.deps.db.transaction().execute(async (trx) => {
      // Not the inventory: it is only rewritten when a status comes, never read here.
      let q = trx.selectFrom('hosts').select(HOST_STATE_COLUMNS).where('id', '=', hostId);
      // Two reports of one host in flight (a retry overtaking a slow one) must not both apply its operations.
      if (this.deps.dialect === 'postgres') q = q.forUpdate();
      const host = await q.executeTakeFirst();
      if (!host) throw new UnauthenticatedError('this host no longer exists; its agent must enroll again');

      const fresh = report.ops.filter((o) => o.seq > host.last_op_seq).sort((a, b) => a.seq - b.seq);
      const batch = this.toBatch(host.hostname, fresh);
      if (host.heartbeat === 'degraded' || host.heartbeat === 'failed') {
        // The host is back: its heartbeat alarms clear.
        for (const alarm_id of HEARTBEAT_ALARMS) {
          const entity = `host=${host.hostname}${alarm_id === '200.005' ? '.network=mgmt' : ''}`;
          if (!batch.raise!.some((r) => r.alarm_id === alarm_id)) batch.clear!.push({ alarm_id, entity_instance_id: entity });
        }
      }
      const appliedNow = report.status ? report.status.applied.config_token : host.applied_config_token;
      if (appliedNow === host.config_token && host.applied_config_token !== host.config_token) {
        // The agent caught up with the desired configuration.
        batch.clear!.push({ alarm_id: '250.001', entity_instance_id: `host=${host.hostname}` });
      }
      const hasWork = batch.raise!.length + batch.clear!.length + batch.log!.length > 0;
      const effects: BatchEffects | undefined = hasWork ? await this.deps.fault.applyBatch(trx, batch) : undefined;

      const change: Updateable<HostsTable> = {
        last_report_at: now,
        last_op_seq: Math.max(host.last_op_seq, ...report.ops.map((o) => o.seq)),
        heartbeat: 'ok',
        recovery_requested_at: null,
      };
      let needStatus = false;
      if (report.status) {
        const s = report.status;
        const done = new Set(s.completed_actions);
        const actions = (JSON.parse(host.actions) as Array<{ id: string }>).filter((a) => !done.has(a.id));
        Object.assign(change, {
          status_hash: report.status_hash,
          inventory: JSON.stringify(s.inventory),
          boot_id: s.boot_id,
          booted_at: s.booted_at,
          agent_version: s.agent_version,
          applied_config_token: s.applied.config_token,
          observed_generation: s.applied.generation,
          actions: JSON.stringify(actions),
          ...(s.software ? { software_status: JSON.stringify(s.software) } : {}),
        });
      } else if (report.status_hash !== host.status_hash) {
        needStatus = true;
      }
      if (report.stats !== undefined) Object.assign(change, { stats: JSON.stringify(report.stats), stats_at: now });
      const booted = (change.booted_at as number | undefined) ?? host.booted_at;
      if (booted) change.uptime_s = Math.max(0, Math.floor((now - booted) / 1000));
      const next = { ...host, ...change } as HostState;
      change.task = taskFor(JSON.parse(next.actions) as PendingAction[]);
      const state = deriveState(factsOf(next));
      Object.assign(change, state);
      if (state.availability !== host.availability || state.operational !== host.operational) change.updated_at = now;
      await trx.updateTable('hosts').set(change).where('id', '=', host.id).execute();
      return { host: { ...host, ...change } as HostState, effects, needStatus };
    });
    if (effects) this.deps.fault.committed(effects);
    if (report.status?.software) await this.deps.softwareReported?.(hostId, report.status.software);
    this.deps.observe?.(performance.now() - started);

    // A new session is not held back by the long poll: the host's heartbeat starts now. One sent again
    // (replies that crossed) waits as usual, so an agent that does not take it cannot make the poll spin.
    const pulse = report.pulse && this.deps.pulses ? this.deps.pulses.sessionFor(hostId, report.pulse.instance, report.pulse.session) : undefined;
    let current = host;
    if (report.wait_ms > 0 && host.generation === report.known_generation && !needStatus && !pulse?.isNew) {
      const changed = await this.deps.waiters.wait(hostId, report.wait_ms);
      if (changed) current = (await this.deps.db.selectFrom('hosts').select(HOST_STATE_COLUMNS).where('id', '=', hostId).executeTakeFirst()) ?? host;
    }
    return this.reply(current, report, needStatus, pulse?.pulse);
  }

  private reply(host: HostState, report: Report, needStatus: boolean, pulse: PulseSession | null | undefined): Reply {
    const reply: Reply = { ack_op_seq: host.last_op_seq, generation: host.generation, report_interval_ms: this.deps.reportIntervalMs };
    if (needStatus) reply.need_status = true;
    if (pulse !== undefined) reply.pulse = pulse;
    if (host.generation !== report.known_generation) {
      reply.desired = {
        generation: host.generation,
        administrative: host.administrative,
        config: JSON.parse(host.config) as unknown,
        config_token: host.config_token,
        actions: JSON.parse(host.actions) as Array<{ id: string; kind: string }>,
        software: host.software_target ? (JSON.parse(host.software_target) as SoftwareTarget) : null,
      };
    }
    return reply;
  }
}

function raiseOf(op: AgentOp) {
  return { alarm_id: op.alarm_id, entity_instance_id: op.entity_instance_id, severity: op.severity ?? 'major', reason_text: op.reason_text ?? '' };
}
