/** SQL for per-alarm-ID suppression. */
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';

type Executor = Kysely<Schema>;

export async function suppressedIds(db: Executor, among?: string[]): Promise<Set<string>> {
  let q = db.selectFrom('suppressions').select('alarm_id');
  if (among) {
    if (among.length === 0) return new Set();
    q = q.where('alarm_id', 'in', among);
  }
  return new Set((await q.execute()).map((r) => r.alarm_id));
}

export async function addSuppressions(db: Executor, alarmIds: string[], at: number, by: string | null): Promise<void> {
  if (alarmIds.length === 0) return;
  await db
    .insertInto('suppressions')
    .values(alarmIds.map((alarm_id) => ({ alarm_id, suppressed_at: at, suppressed_by: by })))
    .onConflict((oc) => oc.column('alarm_id').doNothing())
    .execute();
}

export async function removeSuppressions(db: Executor, alarmIds: string[] | 'all'): Promise<void> {
  let q = db.deleteFrom('suppressions');
  if (alarmIds !== 'all') {
    if (alarmIds.length === 0) return;
    q = q.where('alarm_id', 'in', alarmIds);
  }
  await q.execute();
}
