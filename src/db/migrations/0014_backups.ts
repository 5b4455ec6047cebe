import type { Kysely } from 'kysely';

/**
 * Platform backups this controller made. The archive is the backup; the row
 * says where it is and how it went. A row left `in-progress` by a process
 * that died is failed at the next start, and its partial file removed.
 * Not copied into backups themselves (a restored system lists what is on
 * its own disk).
 */
export function backups() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('backups')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint')
        .addColumn('sha256', 'text')
        .addColumn('secrets', 'text', (c) => c.notNull())
        .addColumn('schedule', 'text')
        .addColumn('error', 'text')
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .execute();
      await db.schema.createIndex('backups_created_at').on('backups').column('created_at').execute();
    },
  };
}
