/**
 * SQL for active alarms. Functions take the executor (the database or an
 * open transaction) so that the fault service decides the transaction
 * boundaries.
 */
import { sql, type Kysely } from 'kysely';
import { decodeCursor, keysetPage } from '../../api/cursor.js';
import { columnsOf, unnestRows, usesUnnest, type SqlColumnType } from '../../db/bulk.js';
import { chunk } from '../../db/chunks.js';
import type { Dialect } from '../../db/database.js';
import type { AlarmRow, NewAlarmRow, Schema } from '../../db/schema.js';

type Executor = Kysely<Schema>;

export interface AlarmKey {
  alarm_id: string;
  entity_instance_id: string;
}

/** What an upsert wrote: the row's uuid (the existing one when updated) and key. */
export interface WrittenKey extends AlarmKey {
  uuid: string;
}

export interface AlarmFilter {
  alarmIds?: string[];
  severities?: string[];
  /** Entity instance id prefix, matched exactly (no wildcards). */
  entityPrefix?: string;
  mgmtAffecting?: boolean;
  degradeAffecting?: boolean;
  includeSuppressed?: boolean;
}

/**
 * Inserts new alarms and updates existing ones whose severity or reason
 * changed. Unchanged re-raises write nothing and are not returned.
 */
const ALARM_COLUMNS: Record<keyof NewAlarmRow & string, SqlColumnType> = {
  uuid: 'text',
  alarm_id: 'text',
  entity_instance_id: 'text',
  entity_type_id: 'text',
  severity: 'text',
  reason_text: 'text',
  alarm_type: 'text',
  probable_cause: 'text',
  proposed_repair_action: 'text',
  service_affecting: 'integer',
  suppressed: 'integer',
  mgmt_affecting: 'integer',
  degrade_affecting: 'integer',
  timestamp: 'bigint',
  created_at: 'bigint',
};

export async function upsertAlarms(db: Executor, dialect: Dialect, rows: NewAlarmRow[]): Promise<WrittenKey[]> {
  const written: WrittenKey[] = [];
  for (const slice of chunk(rows)) {
    const insert = db.insertInto('alarms');
    const result = await (usesUnnest(dialect) ? insert.columns(columnsOf(ALARM_COLUMNS)).expression(unnestRows(slice, ALARM_COLUMNS)) : insert.values(slice))
      .onConflict((oc) =>
        oc
          .columns(['alarm_id', 'entity_instance_id'])
          .doUpdateSet((eb) => ({
            severity: eb.ref('excluded.severity'),
            reason_text: eb.ref('excluded.reason_text'),
            entity_type_id: eb.ref('excluded.entity_type_id'),
            mgmt_affecting: eb.ref('excluded.mgmt_affecting'),
            degrade_affecting: eb.ref('excluded.degrade_affecting'),
            suppressed: eb.ref('excluded.suppressed'),
            timestamp: eb.ref('excluded.timestamp'),
          }))
          .where((eb) =>
            eb.or([
              eb('alarms.severity', '<>', eb.ref('excluded.severity')),
              eb('alarms.reason_text', '<>', eb.ref('excluded.reason_text')),
              eb('alarms.entity_type_id', '<>', eb.ref('excluded.entity_type_id')),
            ]),
          ),
      )
      // Only the keys: the caller has the rest, and parsing whole rows back
      // was a measurable share of a batch on PostgreSQL.
      .returning(['uuid', 'alarm_id', 'entity_instance_id'])
      .execute();
    written.push(...result);
  }
  return written;
}

/** Deletes the alarms with these keys; returns those that existed. */
export async function deleteAlarms(db: Executor, keys: AlarmKey[]): Promise<AlarmRow[]> {
  // One `alarm_id = ? AND entity_instance_id IN (...)` per alarm ID: both
  // planners use the identity index for it, with or without statistics,
  // where a list of (alarm_id, entity) row values made PostgreSQL scan every
  // row of an alarm ID (700 ms per 500 keys before ANALYZE; bench/fm).
  const byAlarmId = new Map<string, string[]>();
  for (const k of keys) byAlarmId.set(k.alarm_id, [...(byAlarmId.get(k.alarm_id) ?? []), k.entity_instance_id]);
  const removed: AlarmRow[] = [];
  for (const [alarmId, entities] of byAlarmId) {
    for (const slice of chunk(entities)) {
      const result = await db.deleteFrom('alarms').where('alarm_id', '=', alarmId).where('entity_instance_id', 'in', slice).returningAll().execute();
      removed.push(...result);
    }
  }
  return removed;
}

export async function deleteAlarmByUuid(db: Executor, uuid: string): Promise<AlarmRow | undefined> {
  return db.deleteFrom('alarms').where('uuid', '=', uuid).returningAll().executeTakeFirst();
}

export async function getAlarm(db: Executor, uuid: string): Promise<AlarmRow | undefined> {
  return db.selectFrom('alarms').selectAll().where('uuid', '=', uuid).executeTakeFirst();
}

export async function findAlarm(db: Executor, key: AlarmKey): Promise<AlarmRow | undefined> {
  return db
    .selectFrom('alarms')
    .selectAll()
    .where('alarm_id', '=', key.alarm_id)
    .where('entity_instance_id', '=', key.entity_instance_id)
    .executeTakeFirst();
}

/** Newest first, keyset-paginated on (timestamp, uuid). */
export async function listAlarms(
  db: Executor,
  filter: AlarmFilter,
  page: { limit: number; cursor?: string },
): Promise<{ rows: AlarmRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('alarms').selectAll();
  if (!filter.includeSuppressed) q = q.where('suppressed', '=', 0);
  if (filter.alarmIds?.length) q = q.where('alarm_id', 'in', filter.alarmIds);
  if (filter.severities?.length) q = q.where('severity', 'in', filter.severities);
  if (filter.mgmtAffecting !== undefined) q = q.where('mgmt_affecting', '=', filter.mgmtAffecting ? 1 : 0);
  if (filter.degradeAffecting !== undefined) q = q.where('degrade_affecting', '=', filter.degradeAffecting ? 1 : 0);
  if (filter.entityPrefix) {
    // substr comparison: exact on both backends, where LIKE would treat % and _
    // as wildcards and SQLite's LIKE ignores case.
    const prefix = filter.entityPrefix;
    q = q.where(sql<string>`substr(entity_instance_id, 1, ${prefix.length})`, '=', prefix);
  }
  if (page.cursor) {
    const [ts, uuid] = decodeCursor(page.cursor, ['number', 'string'] as const);
    // A row-value comparison is an index range on both backends; the
    // equivalent OR form made deep pages scan from the top.
    q = q.where((eb) => eb(eb.refTuple('timestamp', 'uuid'), '<', eb.tuple(ts, uuid)));
  }
  const rows = await q.orderBy('timestamp', 'desc').orderBy('uuid', 'desc').limit(page.limit + 1).execute();
  return keysetPage(rows, page.limit, (r) => [r.timestamp, r.uuid]);
}

export interface SeverityCounts {
  critical: number;
  major: number;
  minor: number;
  warning: number;
  suppressed: number;
}

export async function summarizeAlarms(db: Executor): Promise<SeverityCounts> {
  const rows = await db
    .selectFrom('alarms')
    .select(['severity', 'suppressed', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['suppressed', 'severity'])
    .execute();
  const counts: SeverityCounts = { critical: 0, major: 0, minor: 0, warning: 0, suppressed: 0 };
  for (const r of rows) {
    if (r.suppressed) counts.suppressed += Number(r.n);
    else if (r.severity in counts) counts[r.severity as keyof SeverityCounts] += Number(r.n);
  }
  return counts;
}

export async function setSuppressedFlag(db: Executor, alarmIds: string[] | 'all', suppressed: boolean): Promise<void> {
  let q = db.updateTable('alarms').set({ suppressed: suppressed ? 1 : 0 });
  if (alarmIds !== 'all') q = q.where('alarm_id', 'in', alarmIds);
  await q.execute();
}
