/**
 * The fleet's certificate expiry on the system controller: the subclouds
 * whose certificates expire soonest (each reports its soonest in its
 * status), with the certificate alarms (500.200 expiring, 500.210 expired)
 * each has active, and fleet totals of both. An index read and two grouped
 * counts, whatever the size of the fleet.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';

const EXPIRING = '500.200';
const EXPIRED = '500.210';
const DAY = 86_400_000;

export interface FleetCertificateItem {
  name: string;
  availability_status: string;
  soonest: { name: string; type: string; expiry_date: string; residual_days: number } | null;
  /** Its active 500.200 (expiring) and 500.210 (expired) alarms. */
  expiring: number;
  expired: number;
}

export interface FleetCertificates {
  totals: { subclouds_reporting: number; subclouds_expiring: number; subclouds_expired: number };
  items: FleetCertificateItem[];
}

export async function fleetCertificates(db: Kysely<Schema>, now: number, limit: number): Promise<FleetCertificates> {
  const rows = await db
    .selectFrom('subclouds')
    .select(['id', 'name', 'availability_status', 'status', 'certificate_expires_at'])
    .where('certificate_expires_at', 'is not', null)
    .orderBy('certificate_expires_at')
    .orderBy('name')
    .limit(limit)
    .execute();
  const counts = rows.length
    ? await db
        .selectFrom('subcloud_alarms')
        .select(['subcloud_id', 'alarm_id', sql<number>`count(*)`.as('n')])
        .where('alarm_id', 'in', [EXPIRING, EXPIRED])
        .where('subcloud_id', 'in', rows.map((r) => r.id))
        .groupBy(['subcloud_id', 'alarm_id'])
        .execute()
    : [];
  const count = (id: number, alarm: string) => Number(counts.find((c) => c.subcloud_id === id && c.alarm_id === alarm)?.n ?? 0);
  const totals = await db
    .selectFrom('subcloud_alarms')
    .select(['alarm_id', sql<number>`count(distinct subcloud_id)`.as('n')])
    .where('alarm_id', 'in', [EXPIRING, EXPIRED])
    .groupBy('alarm_id')
    .execute();
  const reporting = await db.selectFrom('subclouds').select(sql<number>`count(*)`.as('n')).where('certificate_expires_at', 'is not', null).executeTakeFirstOrThrow();
  return {
    totals: {
      subclouds_reporting: Number(reporting.n),
      subclouds_expiring: Number(totals.find((t) => t.alarm_id === EXPIRING)?.n ?? 0),
      subclouds_expired: Number(totals.find((t) => t.alarm_id === EXPIRED)?.n ?? 0),
    },
    items: rows.map((r) => {
      const reported = r.status ? (JSON.parse(r.status) as { certificates?: { soonest: { name: string; type: string; not_after: number } } }).certificates?.soonest : undefined;
      const notAfter = Number(r.certificate_expires_at);
      return {
        name: r.name,
        availability_status: r.availability_status,
        soonest: reported
          ? { name: reported.name, type: reported.type, expiry_date: new Date(notAfter).toISOString(), residual_days: Math.floor((notAfter - now) / DAY) }
          : null,
        expiring: count(r.id, EXPIRING),
        expired: count(r.id, EXPIRED),
      };
    }),
  };
}
