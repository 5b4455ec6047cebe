/**
 * The subcloud availability audit (dcmanager's audit): each window, every
 * online subcloud whose last report is older than `failures` windows goes
 * offline and raises 280.001 (critical). A report brings it back and clears
 * the alarm (uplink.service, batched after the report commits; each pass
 * here also clears any 280.001 left on an online subcloud by a controller
 * that stopped in between). After a system controller restart every
 * subcloud gets the full allowance from the restart, so a controller that was
 * down is not mistaken for a fleet that is.
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { Schema } from '../../db/schema.js';
import { chunk } from '../../db/chunks.js';
import type { FaultService } from '../alarms/fault.service.js';
import { OFFLINE_ENTITY_PREFIX, offlineAlarmKey } from './offline-clears.js';
import type { SubcloudErrors } from './subcloud-errors.js';

export interface AvailabilityAuditDeps {
  db: Kysely<Schema>;
  clock: Clock;
  fault: FaultService;
  windowMs: number;
  failures: number;
  /** When this controller process started. */
  startedAt: number;
  errors?: SubcloudErrors;
}

export class AvailabilityAudit {
  constructor(private readonly deps: AvailabilityAuditDeps) {}

  /** One audit pass; returns the names of the subclouds it took offline. */
  async tick(): Promise<string[]> {
    await this.reconcile();
    const now = this.deps.clock.now();
    const allowance = this.deps.failures * this.deps.windowMs;
    if (now - this.deps.startedAt < allowance) return [];
    const cutoff = now - allowance;
    const stale = await this.deps.db
      .selectFrom('subclouds')
      .select(['id', 'name', 'last_report_at'])
      .where('availability_status', '=', 'online')
      .where('last_report_at', '<', cutoff)
      .execute();
    const offline: string[] = [];
    for (const slice of chunk(stale)) {
      const effects = await this.deps.db.transaction().execute(async (trx) => {
        // Only those still stale: a report may have arrived since the read.
        const changed = await trx
          .updateTable('subclouds')
          .set({ availability_status: 'offline', audit_fail_count: this.deps.failures, updated_at: now })
          .where('id', 'in', slice.map((s) => s.id))
          .where('availability_status', '=', 'online')
          .where('last_report_at', '<', cutoff)
          .returning(['id', 'name', 'last_report_at'])
          .execute();
        offline.push(...changed.map((c) => c.name));
        if (!changed.length) return undefined;
        for (const c of changed) {
          await this.deps.errors?.record(
            trx,
            c.id,
            {
              cause: 'offline',
              what: 'the subcloud stopped reporting: offline after two missed audit windows',
              evidence: `last report at ${new Date(c.last_report_at ?? now).toISOString()}; audit at ${new Date(now).toISOString()} (${Math.round((now - (c.last_report_at ?? now)) / 1000)} s without a report)`,
              repair: 'check the WAN link to the site and that the subcloud controller is running ("starling serve --role subcloud"); it comes back online on its own at its next report',
            },
            now,
          );
        }
        return this.deps.fault.applyBatch(trx, {
          raise: changed.map((c) => ({
            ...offlineAlarmKey(c.name),
            severity: 'critical',
            reason_text: `${c.name} is offline (no report for ${Math.round((now - (c.last_report_at ?? now)) / 1000)} s)`,
          })),
        });
      });
      if (effects) this.deps.fault.committed(effects);
    }
    return offline;
  }

  /** Clears 280.001 on subclouds that are online (a return whose clear was never written); returns how many. */
  async reconcile(): Promise<number> {
    // From the (usually no) active 280.001s to their subclouds by name, so the
    // pass costs nothing in the steady state rather than a scan of the fleet.
    const online = await this.deps.db
      .selectFrom('alarms as a')
      .innerJoin('subclouds as s', (j) => j.on('s.name', '=', sql<string>`substr(a.entity_instance_id, ${OFFLINE_ENTITY_PREFIX.length + 1})`))
      .select('s.name')
      .where('a.alarm_id', '=', '280.001')
      .where('a.entity_instance_id', 'like', `${OFFLINE_ENTITY_PREFIX}%`)
      .where('s.availability_status', '=', 'online')
      .execute();
    let cleared = 0;
    for (const slice of chunk(online)) {
      const effects = await this.deps.db.transaction().execute((trx) => this.deps.fault.applyBatch(trx, { clear: slice.map((s) => offlineAlarmKey(s.name)) }));
      this.deps.fault.committed(effects);
      cleared += effects.result.cleared;
    }
    return cleared;
  }
}
