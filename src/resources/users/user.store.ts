/** SQL for users. */
import type { Kysely } from 'kysely';
import type { Schema, UserRow } from '../../db/schema.js';

type Executor = Kysely<Schema>;

export const getUserByName = (db: Executor, name: string): Promise<UserRow | undefined> =>
  db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();

export const getUserById = (db: Executor, id: string): Promise<UserRow | undefined> =>
  db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

export const listUsers = (db: Executor): Promise<UserRow[]> => db.selectFrom('users').selectAll().orderBy('name').execute();

export async function countAdmins(db: Executor, forUpdate: boolean): Promise<number> {
  let q = db.selectFrom('users').select('id').where('role', '=', 'admin');
  // Row locks make the last-admin guard safe against concurrent demotions on
  // PostgreSQL; SQLite serializes writers and has no FOR UPDATE.
  if (forUpdate) q = q.forUpdate();
  return (await q.execute()).length;
}
