import type { Kysely } from 'kysely';

/**
 * Backup schedules (after Velero's): a cron expression in UTC, how many of
 * its backups to keep, how long each lives. Schedules are the system's
 * configuration, so they are copied into backups and restored with them;
 * the backups table stays this disk's own record. `expires_at` on a backup
 * is when the pruning loop deletes it (from its schedule's ttl, or one
 * given to `backup create`).
 */
export function backupSchedules() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('backup_schedules')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('cron', 'text', (c) => c.notNull())
        .addColumn('keep', 'integer')
        .addColumn('ttl_ms', 'bigint')
        .addColumn('out_dir', 'text')
        .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_run_at', 'bigint')
        .addColumn('last_run_at', 'bigint')
        .addColumn('last_backup', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_by', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('backups').addColumn('expires_at', 'bigint').execute();
    },
  };
}
