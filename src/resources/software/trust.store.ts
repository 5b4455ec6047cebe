/**
 * The release signing keys a system trusts (`software trust add | list |
 * remove`). On a system controller they are part of the `platform` sync
 * content, so every managed subcloud accepts the same signatures.
 */
import type { Kysely } from 'kysely';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import { parsePublicKey, type TrustedKey } from './release-signature.js';

export interface TrustedKeyView extends TrustedKey {
  name: string;
  added_at: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;

export async function listTrustedKeys(db: Kysely<Schema>): Promise<TrustedKeyView[]> {
  const rows = await db.selectFrom('release_keys').selectAll().orderBy('key_id').execute();
  return rows.map((r) => ({ key_id: r.key_id, public_key: r.public_key, name: r.name, added_at: new Date(Number(r.added_at)).toISOString() }));
}

export async function addTrustedKey(db: Kysely<Schema>, pem: string, name: string | undefined, now: number): Promise<TrustedKeyView> {
  const key = parsePublicKey(pem);
  const label = name ?? `key-${key.key_id}`;
  if (!NAME_RE.test(label)) throw new InputError('name: 1 to 64 letters, digits, spaces or ._@-', 'name');
  const existing = await db.selectFrom('release_keys').select('key_id').where('key_id', '=', key.key_id).executeTakeFirst();
  if (existing) throw new ConflictError(`public_key: key ${key.key_id} is already trusted`, 'public_key');
  await db.insertInto('release_keys').values({ key_id: key.key_id, public_key: key.pem, name: label, added_at: now }).execute();
  return { key_id: key.key_id, public_key: key.pem, name: label, added_at: new Date(now).toISOString() };
}

export async function removeTrustedKey(db: Kysely<Schema>, keyId: string): Promise<void> {
  const r = await db.deleteFrom('release_keys').where('key_id', '=', keyId).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new NotFoundError(`no trusted key ${keyId}`, 'key_id');
}

/** The keys as synced: id and public key only, in a stable order. */
export async function syncedKeys(db: Kysely<Schema>): Promise<TrustedKey[]> {
  return (await listTrustedKeys(db)).map(({ key_id, public_key }) => ({ key_id, public_key }));
}

/** On a subcloud: the system controller's keys replace the trusted set. */
export async function replaceTrustedKeys(db: Kysely<Schema>, keys: TrustedKey[], now: number): Promise<void> {
  for (const k of keys) parsePublicKey(k.public_key, 'release_keys');
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('release_keys').execute();
    if (keys.length) await trx.insertInto('release_keys').values(keys.map((k) => ({ key_id: k.key_id, public_key: k.public_key, name: `synced-${k.key_id}`, added_at: now }))).execute();
  });
}
