import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Distributed cloud on the system controller: subcloud groups, subclouds
 * (StarlingX dcmanager's fields and states), per-endpoint sync status, and
 * the subclouds' active alarms as delta-synced upward.
 */
export function distributedCloud(dialect: Dialect) {
  const id = dialect === 'postgres' ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('subcloud_groups')
        .addColumn('id', id)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('update_apply_type', 'text', (c) => c.notNull())
        .addColumn('max_parallel_subclouds', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('subclouds')
        .addColumn('id', id)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('location', 'text', (c) => c.notNull())
        .addColumn('group_id', 'bigint', (c) => c.notNull().references('subcloud_groups.id'))
        .addColumn('management_state', 'text', (c) => c.notNull())
        .addColumn('availability_status', 'text', (c) => c.notNull())
        .addColumn('deploy_status', 'text', (c) => c.notNull())
        .addColumn('backup_status', 'text', (c) => c.notNull())
        .addColumn('prestage_status', 'text')
        .addColumn('software_version', 'text')
        .addColumn('error_description', 'text', (c) => c.notNull())
        .addColumn('error_cause', 'text')
        // Desired state for the subcloud (spec): where it reports, generation.
        .addColumn('system_controller_url', 'text')
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(1))
        // What the subcloud last reported (status).
        .addColumn('status', 'text')
        .addColumn('status_hash', 'text')
        .addColumn('last_report_at', 'bigint')
        .addColumn('last_op_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('audit_fail_count', 'integer', (c) => c.notNull().defaultTo(0))
        // Active alarm counts by severity, kept with the delta sync for the fleet summary.
        .addColumn('alarms_critical', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('alarms_major', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('alarms_minor', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('alarms_warning', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('enroll_token_hash', 'text')
        .addColumn('enroll_expires_at', 'bigint')
        .addColumn('credential_hash', 'text')
        .addColumn('enrolled_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('subclouds_group').on('subclouds').columns(['group_id', 'name']).execute();
      await db.schema.createIndex('subclouds_credential').on('subclouds').column('credential_hash').execute();
      await db.schema.createIndex('subclouds_enroll_token').on('subclouds').column('enroll_token_hash').execute();
      await db.schema.createIndex('subclouds_availability').on('subclouds').columns(['availability_status', 'last_report_at']).execute();

      await db.schema
        .createTable('subcloud_endpoints')
        .addColumn('subcloud_id', 'bigint', (c) => c.notNull().references('subclouds.id').onDelete('cascade'))
        .addColumn('endpoint_type', 'text', (c) => c.notNull())
        .addColumn('sync_status', 'text', (c) => c.notNull())
        .addColumn('applied_hash', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('subcloud_endpoints_pk', ['subcloud_id', 'endpoint_type'])
        .execute();

      await db.schema
        .createTable('subcloud_alarms')
        .addColumn('subcloud_id', 'bigint', (c) => c.notNull().references('subclouds.id').onDelete('cascade'))
        .addColumn('uuid', 'text', (c) => c.notNull())
        .addColumn('alarm_id', 'text', (c) => c.notNull())
        .addColumn('entity_instance_id', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('reason_text', 'text', (c) => c.notNull())
        .addColumn('mgmt_affecting', 'integer', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('subcloud_alarms_pk', ['subcloud_id', 'alarm_id', 'entity_instance_id'])
        .execute();
      await db.schema.createIndex('subcloud_alarms_listing').on('subcloud_alarms').columns(['timestamp', 'uuid']).execute();
    },
  };
}
