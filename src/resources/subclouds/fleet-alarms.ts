/**
 * The fleet alarm list: every subcloud's active alarms as kept on the
 * system controller by the delta sync (`subcloud_alarms`), filterable by
 * subcloud, severity and alarm ID, newest first, keyset-paginated on
 * (timestamp, uuid) like the local alarm list.
 */
import type { Kysely } from 'kysely';
import { decodeCursor, keysetPage } from '../../api/cursor.js';
import { NotFoundError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';

export interface FleetAlarmFilter {
  /** Subcloud name; unknown → NotFoundError on `subcloud`. */
  subcloud?: string;
  severities?: string[];
  alarmIds?: string[];
}

export interface FleetAlarmView {
  subcloud: string;
  uuid: string;
  alarm_id: string;
  entity_instance_id: string;
  severity: string;
  reason_text: string;
  mgmt_affecting: boolean;
  timestamp: string;
}

export async function listFleetAlarms(db: Kysely<Schema>, filter: FleetAlarmFilter, page: { limit: number; cursor?: string }): Promise<{ items: FleetAlarmView[]; next_cursor: string | null }> {
  let q = db
    .selectFrom('subcloud_alarms as a')
    .innerJoin('subclouds as s', 's.id', 'a.subcloud_id')
    .select(['s.name', 'a.uuid', 'a.alarm_id', 'a.entity_instance_id', 'a.severity', 'a.reason_text', 'a.mgmt_affecting', 'a.timestamp']);
  if (filter.subcloud !== undefined) {
    const subcloud = await db.selectFrom('subclouds').select('id').where('name', '=', filter.subcloud).executeTakeFirst();
    if (!subcloud) throw new NotFoundError(`subcloud ${filter.subcloud} not found`, 'subcloud');
    q = q.where('a.subcloud_id', '=', subcloud.id);
  }
  if (filter.severities?.length) q = q.where('a.severity', 'in', filter.severities);
  if (filter.alarmIds?.length) q = q.where('a.alarm_id', 'in', filter.alarmIds);
  if (page.cursor) {
    const [ts, uuid] = decodeCursor(page.cursor, ['number', 'string'] as const);
    // Row-value comparison: an index range on both backends (see listAlarms).
    q = q.where((eb) => eb(eb.refTuple('a.timestamp', 'a.uuid'), '<', eb.tuple(ts, uuid)));
  }
  const rows = await q.orderBy('a.timestamp', 'desc').orderBy('a.uuid', 'desc').limit(page.limit + 1).execute();
  const { rows: kept, nextCursor } = keysetPage(rows, page.limit, (r) => [Number(r.timestamp), r.uuid]);
  return {
    items: kept.map((r) => ({
      subcloud: r.name,
      uuid: r.uuid,
      alarm_id: r.alarm_id,
      entity_instance_id: r.entity_instance_id,
      severity: r.severity,
      reason_text: r.reason_text,
      mgmt_affecting: r.mgmt_affecting === 1,
      timestamp: new Date(Number(r.timestamp)).toISOString(),
    })),
    next_cursor: nextCursor,
  };
}
