import type { Kysely } from 'kysely';

/**
 * Distributed cloud sync and rehoming:
 * - subclouds.alarms_synced: 0 until the subcloud sent a full snapshot of its
 *   active alarms (after enrolling or being adopted), so deltas apply to a
 *   known base;
 * - subclouds.rehome: the one-time token and address of the system
 *   controller a subcloud is being handed to (delivered as desired state);
 * - subcloud_endpoints.out_of_sync_since: when an endpoint last left
 *   in-sync, so 280.002 is raised only when convergence does not happen;
 * - users.synced: on a subcloud, 1 for users that came from the system
 *   controller's identity sync (they are replaced by the next sync), 0 for
 *   users created locally (left alone).
 */
export function dcSync() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('subclouds').addColumn('alarms_synced', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('subclouds').addColumn('rehome', 'text').execute();
      await db.schema.alterTable('subcloud_endpoints').addColumn('out_of_sync_since', 'bigint').execute();
      await db.schema.alterTable('users').addColumn('synced', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  };
}
