/** Server-wide settings rows, created once and shared by replicas. */
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

/** Returns the stored value, creating it with `make()` if absent (first writer wins). */
export async function getOrCreateSetting(db: Kysely<Schema>, key: string, make: () => string): Promise<string> {
  await db
    .insertInto('settings')
    .values({ key, value: make() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return row.value;
}
