import type { Kysely } from 'kysely';

/**
 * The site: the system row, hosts (spec, status, maintenance), host agent
 * credentials, and per-source batch sequence numbers for exactly-once
 * delivery of queued alarm changes.
 */
export function site() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('system')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('software_version', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('hosts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('hostname', 'text', (c) => c.notNull().unique())
        .addColumn('personality', 'text', (c) => c.notNull())
        .addColumn('subfunctions', 'text', (c) => c.notNull())
        .addColumn('administrative', 'text', (c) => c.notNull())
        .addColumn('operational', 'text', (c) => c.notNull())
        .addColumn('availability', 'text', (c) => c.notNull())
        // Active/standby for controllers; null for other personalities.
        .addColumn('controller_role', 'text')
        .addColumn('task', 'text')
        // spec: written by the API, generation bumped on each change.
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('config_token', 'text', (c) => c.notNull())
        // Pending one-shot actions for the agent (reboot, reinstall ...), JSON.
        .addColumn('actions', 'text', (c) => c.notNull().defaultTo('[]'))
        // status: written from agent reports.
        .addColumn('observed_generation', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('applied_config_token', 'text')
        .addColumn('inventory', 'text')
        .addColumn('status_hash', 'text')
        .addColumn('uptime_s', 'bigint')
        .addColumn('agent_version', 'text')
        .addColumn('boot_id', 'text')
        .addColumn('booted_at', 'bigint')
        // Volatile resource figures (memory, CPU, filesystems), JSON, sent every few minutes.
        .addColumn('stats', 'text')
        .addColumn('stats_at', 'bigint')
        .addColumn('last_report_at', 'bigint')
        .addColumn('last_op_seq', 'bigint', (c) => c.notNull().defaultTo(0))
        // maintenance
        .addColumn('heartbeat', 'text', (c) => c.notNull().defaultTo('none'))
        .addColumn('recovery_requested_at', 'bigint')
        // enrollment
        .addColumn('enroll_token_hash', 'text')
        .addColumn('enroll_expires_at', 'bigint')
        .addColumn('credential_hash', 'text')
        .addColumn('enrolled_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('hosts_enroll_token').on('hosts').column('enroll_token_hash').execute();
      await db.schema.createIndex('hosts_credential').on('hosts').column('credential_hash').execute();
    },
  };
}
