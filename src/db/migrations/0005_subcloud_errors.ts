import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Subcloud errors with their causes: what failed, the evidence and a
 * proposed repair, one active row per (subcloud, cause) that counts
 * recurrences; cleared rows stay as a short history. Also an index for the
 * fleet alarm list filtered by subcloud.
 */
export function subcloudErrors(dialect: Dialect) {
  const id = dialect === 'postgres' ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('subcloud_errors')
        .addColumn('id', id)
        .addColumn('subcloud_id', 'bigint', (c) => c.notNull().references('subclouds.id').onDelete('cascade'))
        .addColumn('cause', 'text', (c) => c.notNull())
        .addColumn('what', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('repair', 'text', (c) => c.notNull())
        .addColumn('first_at', 'bigint', (c) => c.notNull())
        .addColumn('last_at', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('cleared_at', 'bigint')
        .execute();
      // One active error per subcloud and cause: recording it again is an upsert on this index.
      await db.schema
        .createIndex('subcloud_errors_active')
        .unique()
        .on('subcloud_errors')
        .columns(['subcloud_id', 'cause'])
        .where(sql.ref('cleared_at'), 'is', null)
        .execute();
      // The fleet view groups active errors by cause.
      await db.schema.createIndex('subcloud_errors_by_cause').on('subcloud_errors').columns(['cause', 'last_at']).where(sql.ref('cleared_at'), 'is', null).execute();
      // A subcloud's history, newest first.
      await db.schema.createIndex('subcloud_errors_history').on('subcloud_errors').columns(['subcloud_id', 'last_at']).execute();

      // GET /fleet/alarms?subcloud=S: one subcloud's alarms, newest first, without scanning the fleet's.
      await db.schema.createIndex('subcloud_alarms_by_subcloud').on('subcloud_alarms').columns(['subcloud_id', 'timestamp', 'uuid']).execute();
    },
  };
}
