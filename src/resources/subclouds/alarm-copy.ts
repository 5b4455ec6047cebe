/**
 * The system controller's copy of each subcloud's active alarms, kept by
 * delta sync (operations in the subcloud's event order) or replaced whole by
 * a snapshot, with the per-severity counts the fleet summary reads.
 */
import { sql, type Kysely, type Updateable } from 'kysely';
import { newUuid } from '../../core/ids.js';
import type { Schema, SubcloudsTable } from '../../db/schema.js';
import type { SubcloudOp } from '../../protocol/subcloud-wire.js';
import type { Catalogue } from '../alarms/catalogue.js';

/** Known alarm ID with an allowed severity; others are dropped (and acknowledged) so they cannot wedge the queue. */
export function validAlarmOp(catalogue: Catalogue, op: SubcloudOp): boolean {
  const def = catalogue.get(op.alarm_id);
  if (!def || def.kind !== 'alarm') return false;
  return op.kind === 'clear' || (op.severity !== undefined && (def.severities as readonly string[]).includes(op.severity));
}

const rowOf = (subcloudId: number, o: SubcloudOp, now: number) => ({
  subcloud_id: subcloudId,
  uuid: o.uuid ?? newUuid(now),
  alarm_id: o.alarm_id,
  entity_instance_id: o.entity_instance_id,
  severity: o.severity ?? 'major',
  reason_text: o.reason_text ?? '',
  mgmt_affecting: o.mgmt_affecting ? (1 as const) : (0 as const),
  timestamp: o.timestamp ?? now,
});

/** Replaces the whole copy with a snapshot of the subcloud's active alarms. */
export async function replaceAlarmCopy(trx: Kysely<Schema>, subcloudId: number, alarms: SubcloudOp[], now: number): Promise<Updateable<SubcloudsTable>> {
  await trx.deleteFrom('subcloud_alarms').where('subcloud_id', '=', subcloudId).execute();
  const unique = new Map(alarms.filter((a) => a.kind === 'raise').map((a) => [`${a.alarm_id}\u0000${a.entity_instance_id}`, a]));
  const rows = [...unique.values()].map((a) => rowOf(subcloudId, a, now));
  for (let i = 0; i < rows.length; i += 500) await trx.insertInto('subcloud_alarms').values(rows.slice(i, i + 500)).execute();
  // The copy is exactly these rows: count them here rather than ask again.
  const n = (severity: string) => rows.filter((r) => r.severity === severity).length;
  return { alarms_critical: n('critical'), alarms_major: n('major'), alarms_minor: n('minor'), alarms_warning: n('warning') };
}

/** Applies alarm operations in order: the last operation per alarm wins. */
export async function applyAlarmOps(trx: Kysely<Schema>, subcloudId: number, ops: SubcloudOp[], now: number): Promise<Updateable<SubcloudsTable>> {
  const last = new Map<string, SubcloudOp>();
  for (const op of ops) last.set(`${op.alarm_id}\u0000${op.entity_instance_id}`, op);
  const raises = [...last.values()].filter((o) => o.kind === 'raise');
  const clears = [...last.values()].filter((o) => o.kind === 'clear');
  if (raises.length) {
    await trx
      .insertInto('subcloud_alarms')
      .values(raises.map((o) => rowOf(subcloudId, o, now)))
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
  return countAlarms(trx, subcloudId);
}

async function countAlarms(trx: Kysely<Schema>, subcloudId: number): Promise<Updateable<SubcloudsTable>> {
  const counts = await trx
    .selectFrom('subcloud_alarms')
    .select(['severity', sql<number>`count(*)`.as('n')])
    .where('subcloud_id', '=', subcloudId)
    .groupBy('severity')
    .execute();
  const n = (s: string) => Number(counts.find((c) => c.severity === s)?.n ?? 0);
  return { alarms_critical: n('critical'), alarms_major: n('major'), alarms_minor: n('minor'), alarms_warning: n('warning') };
}
