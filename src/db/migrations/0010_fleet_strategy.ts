import type { Kysely } from 'kysely';

/**
 * Fleet orchestration (dcmanager's orchestrator):
 * - fleet_strategy: the one fleet strategy (sw-deploy or prestage), its
 *   target, options and state;
 * - fleet_strategy_steps: one step per subcloud it touches, with the state
 *   the subcloud last reported, progress and, on failure, the cause;
 * - subclouds.orchestration: the job a subcloud is to carry out, delivered
 *   in its desired state (JSON SiteJob; null for none).
 */
export function fleetStrategy() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('fleet_strategy')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('uuid', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('release_id', 'text', (c) => c.notNull())
        .addColumn('subcloud_apply_type', 'text', (c) => c.notNull())
        .addColumn('max_parallel_subclouds', 'integer', (c) => c.notNull())
        .addColumn('stop_on_failure', 'integer', (c) => c.notNull())
        .addColumn('with_prestage', 'integer', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('fleet_strategy_steps')
        .addColumn('subcloud_id', 'integer', (c) => c.primaryKey().references('subclouds.id').onDelete('cascade'))
        .addColumn('subcloud_name', 'text', (c) => c.notNull())
        .addColumn('job_key', 'text', (c) => c.notNull())
        .addColumn('stage', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('progress', 'text')
        .addColumn('cause', 'text')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('fleet_strategy_steps_state').on('fleet_strategy_steps').columns(['state', 'stage', 'subcloud_name']).execute();
      await db.schema.alterTable('subclouds').addColumn('orchestration', 'text').execute();
    },
  };
}
