/** SQL for hosts. */
import type { Kysely, Updateable } from 'kysely';
import type { HostRow, HostsTable, Schema } from '../../db/schema.js';

type Executor = Kysely<Schema>;

/** Every column but the large JSON ones (inventory, stats), for hot paths. */
export const HOST_STATE_COLUMNS = [
  'id', 'hostname', 'personality', 'subfunctions', 'administrative', 'operational', 'availability', 'controller_role', 'task',
  'generation', 'config', 'config_token', 'actions', 'software_target', 'software_status', 'observed_generation', 'applied_config_token', 'status_hash', 'uptime_s',
  'agent_version', 'boot_id', 'booted_at', 'stats_at', 'last_report_at', 'last_op_seq', 'heartbeat', 'recovery_requested_at',
  'enroll_token_hash', 'enroll_expires_at', 'credential_hash', 'enrolled_at', 'created_at', 'updated_at',
] as const;

export type HostState = Omit<HostRow, 'inventory' | 'stats'>;

export const getHostByName = (db: Executor, hostname: string): Promise<HostRow | undefined> =>
  db.selectFrom('hosts').selectAll().where('hostname', '=', hostname).executeTakeFirst();

export const getHostById = (db: Executor, id: string): Promise<HostRow | undefined> => db.selectFrom('hosts').selectAll().where('id', '=', id).executeTakeFirst();

export async function updateHost(db: Executor, id: string, change: Updateable<HostsTable>): Promise<void> {
  await db.updateTable('hosts').set(change).where('id', '=', id).execute();
}
