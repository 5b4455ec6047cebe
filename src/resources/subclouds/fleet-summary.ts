/**
 * The fleet alarm summary (dcmanager alarm summary): per-subcloud counts by
 * severity and `cloud_status` — `critical` with any critical alarm,
 * `degraded` with major or minor ones, `OK` otherwise — plus fleet totals.
 * Read from the counts kept on each subcloud row by the delta sync, so it
 * costs one indexed scan however many alarms the fleet has.
 */
import { sql, type Kysely } from 'kysely';
import { decodeCursor, keysetPage } from '../../api/cursor.js';
import type { Schema } from '../../db/schema.js';

export type CloudStatus = 'critical' | 'degraded' | 'OK';

export const cloudStatus = (c: { critical: number; major: number; minor: number }): CloudStatus => (c.critical > 0 ? 'critical' : c.major + c.minor > 0 ? 'degraded' : 'OK');

export interface FleetSummary {
  totals: { critical: number; major: number; minor: number; warning: number };
  cloud_status: Record<CloudStatus, number>;
  items: Array<{ name: string; critical: number; major: number; minor: number; warning: number; cloud_status: CloudStatus }>;
  next_cursor: string | null;
}

export async function fleetAlarmSummary(db: Kysely<Schema>, page: { limit: number; cursor?: string }): Promise<FleetSummary> {
  const totals = await db
    .selectFrom('subclouds')
    .select([
      sql<number>`coalesce(sum(alarms_critical), 0)`.as('critical'),
      sql<number>`coalesce(sum(alarms_major), 0)`.as('major'),
      sql<number>`coalesce(sum(alarms_minor), 0)`.as('minor'),
      sql<number>`coalesce(sum(alarms_warning), 0)`.as('warning'),
      sql<number>`sum(case when alarms_critical > 0 then 1 else 0 end)`.as('n_critical'),
      sql<number>`sum(case when alarms_critical = 0 and alarms_major + alarms_minor > 0 then 1 else 0 end)`.as('n_degraded'),
      sql<number>`count(*)`.as('n'),
    ])
    .executeTakeFirstOrThrow();
  let q = db.selectFrom('subclouds').select(['id', 'name', 'alarms_critical', 'alarms_major', 'alarms_minor', 'alarms_warning']);
  if (page.cursor) q = q.where('id', '>', decodeCursor(page.cursor, ['number'] as const)[0]);
  const { rows, nextCursor } = keysetPage(await q.orderBy('id').limit(page.limit + 1).execute(), page.limit, (r) => [r.id]);
  const critical = Number(totals.n_critical ?? 0);
  const degraded = Number(totals.n_degraded ?? 0);
  return {
    totals: { critical: Number(totals.critical), major: Number(totals.major), minor: Number(totals.minor), warning: Number(totals.warning) },
    cloud_status: { critical, degraded, OK: Number(totals.n) - critical - degraded },
    items: rows.map((r) => {
      const c = { critical: r.alarms_critical, major: r.alarms_major, minor: r.alarms_minor, warning: r.alarms_warning };
      return { name: r.name, ...c, cloud_status: cloudStatus(c) };
    }),
    next_cursor: nextCursor,
  };
}
