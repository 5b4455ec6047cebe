/** SQL for the event log: alarm set/clear history and customer logs. */
import { sql, type Kysely } from 'kysely';
import { decodeCursor, keysetPage } from '../../api/cursor.js';
import { columnsOf, unnestRows, usesUnnest, type SqlColumnType } from '../../db/bulk.js';
import { chunk } from '../../db/chunks.js';
import type { Dialect } from '../../db/database.js';
import type { EventRow, NewEventRow, Schema } from '../../db/schema.js';

type Executor = Kysely<Schema>;

/** `alarms`: set and clear; `logs`: log and msg. */
export type EventKind = 'alarms' | 'logs';

export interface EventFilter {
  kind?: EventKind;
  alarmIds?: string[];
  severities?: string[];
  entityPrefix?: string;
  includeSuppressed?: boolean;
}

const EVENT_COLUMNS: Record<Exclude<keyof NewEventRow, 'seq'> & string, SqlColumnType> = {
  uuid: 'text',
  alarm_id: 'text',
  alarm_state: 'text',
  entity_instance_id: 'text',
  entity_type_id: 'text',
  severity: 'text',
  reason_text: 'text',
  alarm_type: 'text',
  probable_cause: 'text',
  proposed_repair_action: 'text',
  service_affecting: 'integer',
  suppressed: 'integer',
  timestamp: 'bigint',
};

/** Advisory lock key for event-log writers on PostgreSQL (any constant, used only here). */
const EVENT_LOG_LOCK = 0x5354_4556;

export async function insertEvents(db: Executor, dialect: Dialect, rows: NewEventRow[]): Promise<EventRow[]> {
  const written: EventRow[] = [];
  if (rows.length && dialect === 'postgres') {
    // seq is taken at INSERT, but readers (the change stream, Last-Event-ID)
    // see rows at COMMIT. Holding this lock from the insert to the commit
    // makes the two orders the same, so no reader skips a late-committing
    // lower seq. Callers insert events last in their transaction, so the
    // lock is held briefly. SQLite already runs one writer at a time.
    await sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`.execute(db);
  }
  for (const slice of chunk(rows)) {
    const insert = db.insertInto('event_log');
    const source = usesUnnest(dialect) ? insert.columns(columnsOf(EVENT_COLUMNS)).expression(unnestRows(slice, EVENT_COLUMNS)) : insert.values(slice);
    // Only the generated seq comes back; the rest is what we sent.
    const keys = await source.returning(['seq', 'uuid']).execute();
    const seqByUuid = new Map(keys.map((k) => [k.uuid, k.seq]));
    for (const row of slice) written.push({ ...row, seq: seqByUuid.get(row.uuid)! });
  }
  // Statement order is not guaranteed in RETURNING; the stream wants seq order.
  return written.sort((a, b) => a.seq - b.seq);
}

export async function getEvent(db: Executor, uuid: string): Promise<EventRow | undefined> {
  return db.selectFrom('event_log').selectAll().where('uuid', '=', uuid).executeTakeFirst();
}

/** Newest first, keyset-paginated on seq. */
export async function listEvents(
  db: Executor,
  filter: EventFilter,
  page: { limit: number; cursor?: string },
): Promise<{ rows: EventRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('event_log').selectAll();
  if (filter.kind === 'alarms') q = q.where('alarm_state', 'in', ['set', 'clear']);
  if (filter.kind === 'logs') q = q.where('alarm_state', 'in', ['log', 'msg']);
  if (!filter.includeSuppressed) q = q.where('suppressed', '=', 0);
  if (filter.alarmIds?.length) q = q.where('alarm_id', 'in', filter.alarmIds);
  if (filter.severities?.length) q = q.where('severity', 'in', filter.severities);
  if (filter.entityPrefix) {
    const prefix = filter.entityPrefix;
    q = q.where(sql<string>`substr(entity_instance_id, 1, ${prefix.length})`, '=', prefix);
  }
  if (page.cursor) {
    const [seq] = decodeCursor(page.cursor, ['number'] as const);
    q = q.where('seq', '<', seq);
  }
  const rows = await q.orderBy('seq', 'desc').limit(page.limit + 1).execute();
  return keysetPage(rows, page.limit, (r) => [r.seq]);
}

/** Events after `seq`, oldest first: the change stream's backlog. */
export async function eventsAfter(db: Executor, seq: number, limit: number): Promise<EventRow[]> {
  return db.selectFrom('event_log').selectAll().where('seq', '>', seq).orderBy('seq', 'asc').limit(limit).execute();
}

export async function eventBounds(db: Executor): Promise<{ first: number | null; last: number | null }> {
  const row = await db
    .selectFrom('event_log')
    .select((eb) => [eb.fn.min('seq').as('first'), eb.fn.max('seq').as('last')])
    .executeTakeFirst();
  return { first: row?.first == null ? null : Number(row.first), last: row?.last == null ? null : Number(row.last) };
}

/** Rows per prune statement: ~20 ms of work on SQLite here. */
const PRUNE_SLICE = 5000;

/**
 * Keeps the newest `retention` rows; returns how many were removed. Deletes
 * in bounded slices so that a large backlog (after a burst, or a lowered
 * retention) does not stall the database: one 200,000-row delete held
 * SQLite for 0.9 s (bench/fm).
 */
export async function pruneEvents(db: Executor, retention: number, slice = PRUNE_SLICE): Promise<number> {
  const { first, last } = await eventBounds(db);
  if (first === null || last === null) return 0;
  const cutoff = last - retention;
  let removed = 0;
  for (let from = first; from <= cutoff; from += slice) {
    const upTo = Math.min(cutoff, from + slice - 1);
    const result = await db.deleteFrom('event_log').where('seq', '>=', from).where('seq', '<=', upTo).executeTakeFirst();
    removed += Number(result.numDeletedRows);
    // Let requests in between slices.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return removed;
}
