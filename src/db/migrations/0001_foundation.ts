import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/** Users, tokens, audit log, alarms, event log and suppression. */
export function foundation(dialect: Dialect) {
  // SQLite only gives a monotonic, never-reused rowid with exactly this form.
  const seq = dialect === 'postgres' ? sql`bigserial primary key` : sql`integer primary key autoincrement`;

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('seq', seq)
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('user_name', 'text')
        .addColumn('role', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text')
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_user').on('audit_log').columns(['user_name', 'seq']).execute();


      await db.schema
        .createTable('alarms')
        .addColumn('uuid', 'text', (c) => c.primaryKey())
        .addColumn('alarm_id', 'text', (c) => c.notNull())
        .addColumn('entity_instance_id', 'text', (c) => c.notNull())
        .addColumn('entity_type_id', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('reason_text', 'text', (c) => c.notNull())
        .addColumn('alarm_type', 'text', (c) => c.notNull())
        .addColumn('probable_cause', 'text', (c) => c.notNull())
        .addColumn('proposed_repair_action', 'text', (c) => c.notNull())
        .addColumn('service_affecting', 'integer', (c) => c.notNull())
        .addColumn('suppressed', 'integer', (c) => c.notNull())
        .addColumn('mgmt_affecting', 'integer', (c) => c.notNull())
        .addColumn('degrade_affecting', 'integer', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('alarms_identity', ['alarm_id', 'entity_instance_id'])
        .execute();
      // The default listing: unsuppressed, newest first, keyset-paginated.
      await db.schema.createIndex('alarms_listing').on('alarms').columns(['suppressed', 'timestamp', 'uuid']).execute();
      // Summary counts read only this index.
      await db.schema.createIndex('alarms_summary').on('alarms').columns(['suppressed', 'severity']).execute();

      await db.schema
        .createTable('event_log')
        .addColumn('seq', seq)
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('alarm_id', 'text', (c) => c.notNull())
        .addColumn('alarm_state', 'text', (c) => c.notNull())
        .addColumn('entity_instance_id', 'text', (c) => c.notNull())
        .addColumn('entity_type_id', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('reason_text', 'text', (c) => c.notNull())
        .addColumn('alarm_type', 'text', (c) => c.notNull())
        .addColumn('probable_cause', 'text', (c) => c.notNull())
        .addColumn('proposed_repair_action', 'text', (c) => c.notNull())
        .addColumn('service_affecting', 'integer', (c) => c.notNull())
        .addColumn('suppressed', 'integer', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('event_log_alarm').on('event_log').columns(['alarm_id', 'seq']).execute();

      await db.schema
        .createTable('suppressions')
        .addColumn('alarm_id', 'text', (c) => c.primaryKey())
        .addColumn('suppressed_at', 'bigint', (c) => c.notNull())
        .addColumn('suppressed_by', 'text')
        .execute();
    },
  };
}
