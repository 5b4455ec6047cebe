/**
 * The system controller's side of subcloud reports. In one transaction: the
 * report's new alarm operations (above the subcloud's last applied sequence)
 * update its copy of the subcloud's active alarms and the per-severity
 * counts; the status and arrival time are recorded; a subcloud that was
 * offline comes back online (280.001 clears). Then, if it is up to date, the
 * reply waits (long poll) for its desired state to change.
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { UnauthenticatedError } from '../../core/errors.js';
import { newUuid } from '../../core/ids.js';
import type { Dialect } from '../../db/database.js';
import type { Schema, SubcloudsTable } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { SubcloudOp, SubcloudReply, SubcloudReport } from '../../protocol/subcloud-wire.js';
import type { BatchEffects, FaultService } from '../alarms/fault.service.js';

export const subcloudWaitKey = (id: number): string => `subcloud:${id}`;

export interface UplinkServiceDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  clock: Clock;
  fault: FaultService;
  waiters: Waiters;
  reportIntervalMs: number;
}

export class UplinkService {
  constructor(private readonly deps: UplinkServiceDeps) {}

  async handle(subcloudId: number, report: SubcloudReport): Promise<SubcloudReply> {
    const now = this.deps.clock.now();
    const { row, effects, needStatus } = await this.deps.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('subclouds').selectAll().where('id', '=', subcloudId);
      if (this.deps.dialect === 'postgres') q = q.forUpdate();
      const subcloud = await q.executeTakeFirst();
      if (!subcloud) throw new UnauthenticatedError('this subcloud no longer exists here; it must enroll again');

      const fresh = report.ops
        .filter((o) => o.seq > subcloud.last_op_seq)
        .filter((o) => this.valid(o.op))
        .sort((a, b) => a.seq - b.seq);
      const change: Updateable<SubcloudsTable> = {
        last_report_at: now,
        last_op_seq: Math.max(subcloud.last_op_seq, ...report.ops.map((o) => o.seq)),
        availability_status: 'online',
        audit_fail_count: 0,
      };
      if (fresh.length) Object.assign(change, await this.applyAlarmOps(trx, subcloud.id, fresh.map((o) => o.op), now));
      if (subcloud.deploy_status === 'enrolling') change.deploy_status = 'complete';

      let needStatus = false;
      if (report.status) {
        change.status = JSON.stringify(report.status);
        change.status_hash = report.status_hash;
        change.software_version = report.status.software_version;
        for (const [endpoint_type, applied_hash] of Object.entries(report.status.endpoints)) {
          await trx
            .insertInto('subcloud_endpoints')
            .values({ subcloud_id: subcloud.id, endpoint_type, sync_status: 'unknown', applied_hash, updated_at: now })
            .onConflict((oc) => oc.columns(['subcloud_id', 'endpoint_type']).doUpdateSet({ applied_hash, updated_at: now }))
            .execute();
        }
      } else if (report.status_hash !== subcloud.status_hash) {
        needStatus = true;
      }
      let effects: BatchEffects | undefined;
      if (subcloud.availability_status === 'offline' && subcloud.last_report_at !== null) {
        // It had been reporting and went offline: the audit raised 280.001; it clears now.
        effects = await this.deps.fault.applyBatch(trx, { clear: [{ alarm_id: '280.001', entity_instance_id: `subcloud=${subcloud.name}` }] });
      }
      if (change.deploy_status || subcloud.availability_status !== 'online') change.updated_at = now;
      await trx.updateTable('subclouds').set(change).where('id', '=', subcloud.id).execute();
      return { row: { ...subcloud, ...change }, effects, needStatus };
    });
    if (effects) this.deps.fault.committed(effects);

    let current = row;
    if (report.wait_ms > 0 && row.generation === report.known_generation && !needStatus) {
      if (await this.deps.waiters.wait(subcloudWaitKey(subcloudId), report.wait_ms)) {
        current = (await this.deps.db.selectFrom('subclouds').selectAll().where('id', '=', subcloudId).executeTakeFirst()) ?? row;
      }
    }
    const reply: SubcloudReply = { ack_op_seq: current.last_op_seq as number, generation: current.generation as number, report_interval_ms: this.deps.reportIntervalMs };
    if (needStatus) reply.need_status = true;
    if (current.generation !== report.known_generation) {
      reply.desired = { generation: current.generation as number, system_controller_url: current.system_controller_url ?? null, management_state: current.management_state as string };
    }
    return reply;
  }

  /** Known alarm ID with an allowed severity; others are dropped (and acknowledged) so they cannot wedge the queue. */
  private valid(op: SubcloudOp): boolean {
    const def = this.deps.fault.catalogue.get(op.alarm_id);
    if (!def || def.kind !== 'alarm') return false;
    return op.kind === 'clear' || (op.severity !== undefined && (def.severities as readonly string[]).includes(op.severity));
  }

  /**
   * Applies alarm operations to the subcloud's alarm copy: the last operation
   * per alarm wins; then the per-severity counts are recounted.
   */
  private async applyAlarmOps(trx: Kysely<Schema>, subcloudId: number, ops: SubcloudOp[], now: number): Promise<Updateable<SubcloudsTable>> {
    const last = new Map<string, SubcloudOp>();
    for (const op of ops) last.set(`${op.alarm_id}\u0000${op.entity_instance_id}`, op);
    const raises = [...last.values()].filter((o) => o.kind === 'raise');
    const clears = [...last.values()].filter((o) => o.kind === 'clear');
    if (raises.length) {
      await trx
        .insertInto('subcloud_alarms')
        .values(
          raises.map((o) => ({
            subcloud_id: subcloudId,
            uuid: o.uuid ?? newUuid(now),
            alarm_id: o.alarm_id,
            entity_instance_id: o.entity_instance_id,
            severity: o.severity ?? 'major',
            reason_text: o.reason_text ?? '',
            mgmt_affecting: o.mgmt_affecting ? (1 as const) : (0 as const),
            timestamp: o.timestamp ?? now,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['subcloud_id', 'alarm_id', 'entity_instance_id']).doUpdateSet((eb) => ({
            severity: eb.ref('excluded.severity'),
            reason_text: eb.ref('excluded.reason_text'),
            mgmt_affecting: eb.ref('excluded.mgmt_affecting'),
            timestamp: eb.ref('excluded.timestamp'),
          })),
        )
        .execute();
    }
    const byAlarm = new Map<string, string[]>();
    for (const c of clears) byAlarm.set(c.alarm_id, [...(byAlarm.get(c.alarm_id) ?? []), c.entity_instance_id]);
    for (const [alarm_id, entities] of byAlarm) {
      await trx.deleteFrom('subcloud_alarms').where('subcloud_id', '=', subcloudId).where('alarm_id', '=', alarm_id).where('entity_instance_id', 'in', entities).execute();
    }
    const counts = await trx
      .selectFrom('subcloud_alarms')
      .select(['severity', sql<number>`count(*)`.as('n')])
      .where('subcloud_id', '=', subcloudId)
      .groupBy('severity')
      .execute();
    const n = (s: string) => Number(counts.find((c) => c.severity === s)?.n ?? 0);
    return { alarms_critical: n('critical'), alarms_major: n('major'), alarms_minor: n('minor'), alarms_warning: n('warning') };
  }
}
