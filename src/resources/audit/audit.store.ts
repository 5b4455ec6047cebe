/** The security audit log: one row per mutating request. Never holds bodies. */
import type { Kysely } from 'kysely';
import { decodeCursor, keysetPage } from '../../api/cursor.js';
import type { AuditRow, Schema } from '../../db/schema.js';

export type AuditEntry = Omit<AuditRow, 'seq'>;

export interface AuditView {
  seq: number;
  at: string;
  user: string | null;
  role: string | null;
  source: string;
  method: string;
  route: string;
  target_id: string | null;
  status: number;
  outcome: string;
}

export const toAuditView = (r: AuditRow): AuditView => ({
  seq: r.seq,
  at: new Date(r.at).toISOString(),
  user: r.user_name,
  role: r.role,
  source: r.source,
  method: r.method,
  route: r.route,
  target_id: r.target_id,
  status: r.status,
  outcome: r.outcome,
});

export async function recordAudit(db: Kysely<Schema>, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute();
}

export async function listAudit(
  db: Kysely<Schema>,
  filter: { user?: string; outcome?: string },
  page: { limit: number; cursor?: string },
): Promise<{ rows: AuditRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('audit_log').selectAll();
  if (filter.user) q = q.where('user_name', '=', filter.user);
  if (filter.outcome) q = q.where('outcome', '=', filter.outcome);
  if (page.cursor) q = q.where('seq', '<', decodeCursor(page.cursor, ['number'] as const)[0]);
  const rows = await q.orderBy('seq', 'desc').limit(page.limit + 1).execute();
  return keysetPage(rows, page.limit, (r) => [r.seq]);
}
