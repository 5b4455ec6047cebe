import type { Kysely } from 'kysely';

/**
 * Deploying a release on a site (USM):
 * - software_deploy: the one deploy in progress (StarlingX allows one),
 *   with its state and the release it replaces;
 * - software_deploy_hosts: each host's deploy state in it;
 * - hosts.software_target: what the host's agent is to do (deploy or roll
 *   back a release), delivered as desired state;
 * - hosts.software_status: what the agent last reported (running, previous,
 *   the result of the last deploy with its evidence, free disk).
 */
export function softwareDeploy() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('software_deploy')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('release_id', 'text', (c) => c.notNull())
        .addColumn('from_release', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reboot_required', 'integer', (c) => c.notNull())
        .addColumn('activated', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('software_deploy_hosts')
        .addColumn('host_id', 'text', (c) => c.primaryKey().references('hosts.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('hosts').addColumn('software_target', 'text').execute();
      await db.schema.alterTable('hosts').addColumn('software_status', 'text').execute();
    },
  };
}
