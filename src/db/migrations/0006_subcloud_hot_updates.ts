import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Every subcloud report moves its row's last_report_at: 500 updates a second
 * at 10,000 subclouds. With last_report_at in an index, none of those could
 * be PostgreSQL HOT updates (every one wrote index entries and left bloat
 * behind). The audit reads online subclouds once per window and can filter
 * the time itself; and on PostgreSQL the table leaves room on each page for
 * the new row versions (fillfactor).
 */
export function subcloudHotUpdates(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('subclouds_availability').execute();
      await db.schema.createIndex('subclouds_availability').on('subclouds').column('availability_status').execute();
      if (dialect === 'postgres') await sql`alter table subclouds set (fillfactor = 70)`.execute(db);
    },
  };
}
