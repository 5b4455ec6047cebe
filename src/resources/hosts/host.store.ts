/** SQL for hosts. */
import type { Kysely, Updateable } from 'kysely';
import type { HostRow, HostsTable, Schema } from '../../db/schema.js';

type Executor = Kysely<Schema>;

export const listHosts = (db: Executor): Promise<HostRow[]> => db.selectFrom('hosts').selectAll().orderBy('hostname').execute();

export const getHostByName = (db: Executor, hostname: string): Promise<HostRow | undefined> =>
  db.selectFrom('hosts').selectAll().where('hostname', '=', hostname).executeTakeFirst();

export const getHostById = (db: Executor, id: string): Promise<HostRow | undefined> => db.selectFrom('hosts').selectAll().where('id', '=', id).executeTakeFirst();

export async function updateHost(db: Executor, id: string, change: Updateable<HostsTable>): Promise<void> {
  await db.updateTable('hosts').set(change).where('id', '=', id).execute();
}
