/**
 * The system controller's side of subcloud reports. In one transaction: the
 * report's snapshot (if any) replaces the copy of the subcloud's active
 * alarms, then its new alarm operations (above the last applied sequence)
 * update it; the status, applied endpoint hashes and arrival time are
 * recorded; a subcloud that was offline comes back online, and its 280.001
 * clears in a batch shared with others coming back (offline-clears.ts).
 * Then, if it is up to date, the reply waits (long poll) for its desired
 * state — its own spec or the fleet's sync content — to change.
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { UnauthenticatedError } from '../../core/errors.js';
import type { Dialect } from '../../db/database.js';
import type { Schema, SubcloudRow, SubcloudsTable } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { SiteJob, SiteJobStatus, SubcloudDesired, SubcloudReply, SubcloudReport } from '../../protocol/subcloud-wire.js';
import type { BatchEffects, FaultService } from '../alarms/fault.service.js';
import { durations } from '../../core/durations.js';
import { applyAlarmOps, replaceAlarmCopy, validAlarmOp } from './alarm-copy.js';
import { HeartbeatBatch } from './heartbeat-batch.js';
import { OfflineAlarmClears, offlineAlarmKey } from './offline-clears.js';
import { syncAlarmEntity } from './sync.audit.js';
import { ENDPOINT_TYPES } from './subcloud.types.js';
import { pushed } from '../sync/endpoints.js';
import type { SubcloudErrors } from './subcloud-errors.js';
import type { DesiredSync, SyncService } from './sync.service.js';

export const subcloudWaitKey = (id: number): string => `subcloud:${id}`;

/** The endpoint hashes in a subcloud's last reported status. */
const appliedEndpoints = (row: SubcloudRow): Record<string, string> => (row.status ? ((JSON.parse(row.status) as { endpoints?: Record<string, string> }).endpoints ?? {}) : {});

export interface UplinkServiceDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  clock: Clock;
  fault: FaultService;
  waiters: Waiters;
  sync: SyncService;
  errors: SubcloudErrors;
  reportIntervalMs: number;
  /** Told when a subcloud's credential is withdrawn (rehomed away). */
  credentialsChanged?: () => void;
  /** Takes a subcloud's report of its orchestration job (fleet strategy step), in the report's transaction; true when the step finished. */
  jobReported?: (trx: Kysely<Schema>, subcloud: { id: number; name: string }, status: SiteJobStatus, now: number) => Promise<boolean>;
  /** Told after the commit when a report finished a fleet strategy step. */
  jobFinished?: () => void;
}

interface Handled {
  row: SubcloudRow;
  effects: BatchEffects | undefined;
  needStatus: boolean;
  needSnapshot: boolean;
  applied: Record<string, string>;
  /** It had been reporting, went offline, and is back: its 280.001 is to clear. */
  cameBack?: boolean;
  /** The report finished its fleet strategy step. */
  jobFinished?: boolean;
}

export class UplinkService {
  private readonly batch: HeartbeatBatch;
  private readonly offlineClears: OfflineAlarmClears;

  constructor(private readonly deps: UplinkServiceDeps) {
    this.batch = new HeartbeatBatch({ db: deps.db, clock: deps.clock, delayMs: durations.heartbeatBatchMs });
    this.offlineClears = new OfflineAlarmClears({ db: deps.db, clock: deps.clock, fault: deps.fault, delayMs: durations.heartbeatBatchMs });
  }

  async handle(subcloudId: number, report: SubcloudReport): Promise<SubcloudReply> {
    const desiredSync = await this.deps.sync.desired();
    const handled = (await this.heartbeat(subcloudId, report)) ?? (await this.deps.db.transaction().execute((trx) => this.record(trx, subcloudId, report, desiredSync)));
    if (handled.effects) this.deps.fault.committed(handled.effects);
    if (handled.cameBack) await this.offlineClears.clear(handled.row.name);
    if (handled.jobFinished) this.deps.jobFinished?.();
    if (report.rehomed_to) this.deps.credentialsChanged?.();
    const { needStatus, needSnapshot, applied } = handled;

    let current = handled.row;
    let sync = desiredSync;
    const upToDate = current.generation === report.known_generation && sync.token === report.known_sync && !needStatus && !needSnapshot && !report.rehomed_to;
    if (report.wait_ms > 0 && upToDate && !this.outOfSync(current, sync, applied)) {
      if (await this.deps.waiters.wait(subcloudWaitKey(subcloudId), report.wait_ms)) {
        current = (await this.deps.db.selectFrom('subclouds').selectAll().where('id', '=', subcloudId).executeTakeFirst()) ?? current;
        sync = await this.deps.sync.desired();
      }
    }
    const reply: SubcloudReply = { ack_op_seq: current.last_op_seq, generation: current.generation, report_interval_ms: this.deps.reportIntervalMs };
    if (needStatus) reply.need_status = true;
    if (needSnapshot) reply.need_snapshot = true;
    if (current.generation !== report.known_generation || sync.token !== report.known_sync || this.outOfSync(current, sync, applied)) {
      reply.desired = this.desired(current, sync, applied);
    }
    return reply;
  }

  /**
   * The common case at 10,000 subclouds — an online, synced subcloud with
   * nothing new to say — batched with others into one statement instead of
   * a transaction of several: it only moves last_report_at. Anything else (operations,
   * status, snapshot, coming back, enrolling) takes the full path.
   */
  private async heartbeat(subcloudId: number, report: SubcloudReport): Promise<Handled | undefined> {
    if (report.ops.length || report.status || report.snapshot || report.rehomed_to) return undefined;
    const row = await this.batch.touch(subcloudId);
    if (!row) return undefined;
    const applied = appliedEndpoints(row);
    return { row, effects: undefined, needStatus: report.status_hash !== row.status_hash, needSnapshot: false, applied };
  }

  private outOfSync(row: SubcloudRow, sync: DesiredSync, applied: Record<string, string>): boolean {
    return row.management_state === 'managed' && Object.entries(sync.endpoints).some(([type, e]) => applied[type] !== undefined && applied[type] !== e.hash && pushed(type));
  }

  private desired(row: SubcloudRow, sync: DesiredSync, applied: Record<string, string>): SubcloudDesired {
    const desired: SubcloudDesired = {
      generation: row.generation,
      system_controller_url: row.system_controller_url ?? null,
      management_state: row.management_state,
      sync: sync.token,
      endpoints: this.deps.sync.forSubcloud(sync, row.management_state === 'managed', applied),
    };
    if (row.rehome) desired.rehome = JSON.parse(row.rehome) as { url: string; enroll_token: string };
    if (row.orchestration) desired.orchestration = JSON.parse(row.orchestration) as SiteJob;
    return desired;
  }

  private async record(trx: Kysely<Schema>, subcloudId: number, report: SubcloudReport, sync: DesiredSync): Promise<Handled> {
    const now = this.deps.clock.now();
    let q = trx.selectFrom('subclouds').selectAll().where('id', '=', subcloudId);
    if (this.deps.dialect === 'postgres') q = q.forUpdate();
    const subcloud = await q.executeTakeFirst();
    if (!subcloud) throw new UnauthenticatedError('this subcloud no longer exists here; it must enroll again');

    if (report.rehomed_to) return this.release(trx, subcloud, report.rehomed_to, now);

    const change: Updateable<SubcloudsTable> = { last_report_at: now, availability_status: 'online', audit_fail_count: 0 };
    let lastSeq = subcloud.last_op_seq;
    let synced = subcloud.alarms_synced === 1;
    if (report.snapshot) {
      Object.assign(change, await replaceAlarmCopy(trx, subcloud.id, report.snapshot.alarms.filter((a) => validAlarmOp(this.deps.fault.catalogue, a)), now));
      lastSeq = report.snapshot.up_to_seq;
      synced = true;
      change.alarms_synced = 1;
    }
    // Deltas apply only on top of a snapshot: before it, the base is unknown.
    if (synced) {
      const fresh = report.ops.filter((o) => o.seq > lastSeq).sort((a, b) => a.seq - b.seq);
      const valid = fresh.map((o) => o.op).filter((op) => validAlarmOp(this.deps.fault.catalogue, op));
      if (valid.length) Object.assign(change, await applyAlarmOps(trx, subcloud.id, valid, now));
      lastSeq = Math.max(lastSeq, ...fresh.map((o) => o.seq));
    }
    change.last_op_seq = lastSeq;

    // The first report with the new credential spends the enroll token.
    if (subcloud.enroll_token_hash !== null) Object.assign(change, { enroll_token_hash: null, enroll_expires_at: null });
    if (subcloud.deploy_status === 'enrolling') change.deploy_status = 'complete';
    if (subcloud.deploy_status === 'rehoming') {
      // Adopted from another system controller: it was managed there.
      change.deploy_status = 'complete';
      change.management_state = 'managed';
      change.generation = subcloud.generation + 1;
    }

    let needStatus = false;
    let jobFinished = false;
    let applied = appliedEndpoints(subcloud);
    if (report.status) {
      change.status = JSON.stringify(report.status);
      change.status_hash = report.status_hash;
      change.software_version = report.status.software_version;
      change.certificate_expires_at = report.status.certificates?.soonest.not_after ?? null;
      applied = report.status.endpoints;
      await this.recordEndpoints(trx, subcloud.id, applied, sync, now);
      if (report.status.orchestration) jobFinished = (await this.deps.jobReported?.(trx, subcloud, report.status.orchestration, now)) ?? false;
    } else if (report.status_hash !== subcloud.status_hash) {
      needStatus = true;
    }
    if (report.status) await this.recordSyncErrors(trx, subcloud, report.status.sync_errors ?? {}, now);
    else if (subcloud.error_cause !== null && subcloud.availability_status === 'offline') await this.deps.errors.clear(trx, subcloud.id, 'offline', now);
    // It had been reporting and went offline: the audit raised 280.001, which clears after this commits.
    const cameBack = subcloud.availability_status === 'offline' && subcloud.last_report_at !== null;
    if (change.deploy_status || subcloud.availability_status !== 'online') change.updated_at = now;
    await trx.updateTable('subclouds').set(change).where('id', '=', subcloud.id).execute();
    return { row: { ...subcloud, ...change } as SubcloudRow, effects: undefined, needStatus, needSnapshot: !synced, applied, cameBack, jobFinished };
  }

  /** Records the applied hash and status of every endpoint in one statement. */
  private async recordEndpoints(trx: Kysely<Schema>, subcloudId: number, applied: Record<string, string>, sync: DesiredSync, now: number): Promise<void> {
    const rows = Object.entries(applied)
      .filter(([endpoint_type]) => endpoint_type in sync.endpoints)
      .map(([endpoint_type, applied_hash]) => {
        const sync_status = this.deps.sync.status(sync, endpoint_type, applied_hash);
        return { subcloud_id: subcloudId, endpoint_type, sync_status, applied_hash, out_of_sync_since: sync_status === 'in-sync' ? null : now, updated_at: now };
      });
    if (!rows.length) return;
    await trx
      .insertInto('subcloud_endpoints')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['subcloud_id', 'endpoint_type']).doUpdateSet({
          applied_hash: sql`excluded.applied_hash`,
          sync_status: sql`excluded.sync_status`,
          // Keeps the first moment it went out of sync, so 280.002 waits from then.
          out_of_sync_since: sql`case when excluded.out_of_sync_since is null then null else coalesce(subcloud_endpoints.out_of_sync_since, excluded.out_of_sync_since) end`,
          updated_at: sql`excluded.updated_at`,
        }),
      )
      .execute();
  }

  /**
   * Failures the subcloud reports (content it could not apply, a rehome it
   * could not make) become errors with a cause; those it no longer reports,
   * and `offline`, are cleared. Only subclouds with errors pay the lookup.
   */
  private async recordSyncErrors(trx: Kysely<Schema>, subcloud: SubcloudRow, reported: Record<string, string>, now: number): Promise<void> {
    const causeOf = (key: string) => (key === 'rehome' ? 'rehome_failed' : `sync_failed:${key}`);
    for (const [key, message] of Object.entries(reported)) {
      await this.deps.errors.record(
        trx,
        subcloud.id,
        key === 'rehome'
          ? { cause: 'rehome_failed', what: 'the subcloud could not enroll with the system controller it was handed to', evidence: message, repair: 'check the address and token given to "starling subcloud update {name} --system-controller URL --enroll-token T", and that the subcloud can reach it; issue a new token with "subcloud add {name} --migrate" there if it expired' }
          : { cause: causeOf(key), what: `the subcloud could not apply the ${key} content synced from the system controller`, evidence: message, repair: `read the subcloud's log for the ${key} sync; it is retried every report, and unmanaging {name} stops it` },
        now,
      );
    }
    if (subcloud.error_cause === null) return;
    const active = await trx.selectFrom('subcloud_errors').select('cause').where('subcloud_id', '=', subcloud.id).where('cleared_at', 'is', null).execute();
    for (const { cause } of active) {
      const stillReported = Object.keys(reported).some((k) => causeOf(k) === cause);
      if (cause === 'offline' || ((cause.startsWith('sync_failed:') || cause === 'rehome_failed') && !stillReported)) await this.deps.errors.clear(trx, subcloud.id, cause, now);
    }
  }

  /**
   * The subcloud now reports to another system controller (rehome): this one
   * lets it go — unmanaged, `secondary`, no offline alarm — and keeps the row
   * until an operator deletes it.
   */
  private async release(trx: Kysely<Schema>, subcloud: SubcloudRow, to: string, now: number): Promise<Handled> {
    const change: Updateable<SubcloudsTable> = {
      deploy_status: 'secondary',
      management_state: 'unmanaged',
      availability_status: 'offline',
      credential_hash: null,
      rehome: null,
      system_controller_url: to,
      updated_at: now,
    };
    await trx.updateTable('subclouds').set(change).where('id', '=', subcloud.id).execute();
    await trx.updateTable('subcloud_endpoints').set({ sync_status: 'unknown', out_of_sync_since: null }).where('subcloud_id', '=', subcloud.id).execute();
    const effects = await this.deps.fault.applyBatch(trx, {
      clear: [offlineAlarmKey(subcloud.name), ...ENDPOINT_TYPES.map((e) => ({ alarm_id: '280.002', entity_instance_id: syncAlarmEntity(subcloud.name, e) }))],
    });
    return { row: { ...subcloud, ...change } as SubcloudRow, effects, needStatus: false, needSnapshot: false, applied: {} };
  }
}
