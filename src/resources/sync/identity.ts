/**
 * The `identity` sync endpoint: users and roles (dcorch's identity sync).
 * The system controller's content is every user with role and password hash;
 * a subcloud applies it to its users marked `synced`, leaving users created
 * locally alone, and reports the hash of what it actually holds, so a local
 * change to a synced user shows as drift and is put right.
 */
import type { Kysely } from 'kysely';
import { contentToken } from '../../core/canonical.js';
import { newUuid } from '../../core/ids.js';
import type { Schema } from '../../db/schema.js';
import { isRole } from '../users/roles.js';

export interface IdentityUser {
  name: string;
  role: string;
  password_hash: string;
}
export interface IdentityContent {
  users: IdentityUser[];
}

const byName = (a: IdentityUser, b: IdentityUser) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** On the system controller: what every managed subcloud should hold. */
export async function identityContent(db: Kysely<Schema>): Promise<IdentityContent> {
  const rows = await db.selectFrom('users').select(['name', 'role', 'password_hash']).execute();
  return { users: rows.sort(byName) };
}

/** On a subcloud: the synced users it holds now, in the same form. */
export async function heldIdentity(db: Kysely<Schema>): Promise<IdentityContent> {
  const rows = await db.selectFrom('users').select(['name', 'role', 'password_hash']).where('synced', '=', 1).execute();
  return { users: rows.sort(byName) };
}

export const identityHash = (content: IdentityContent): string => contentToken(content);

export function validIdentity(content: unknown): content is IdentityContent {
  const users = (content as IdentityContent | undefined)?.users;
  return Array.isArray(users) && users.every((u) => typeof u?.name === 'string' && typeof u.password_hash === 'string' && isRole(String(u.role)));
}

/**
 * Applies the system controller's users on a subcloud in one transaction.
 * Changed users get a new token version (their sessions end); synced users
 * no longer sent are removed, but never the subcloud's last admin.
 * Returns the ids of users that changed (for the session cache).
 */
export async function applyIdentity(db: Kysely<Schema>, content: IdentityContent, now: number): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const changed: string[] = [];
    const existing = new Map((await trx.selectFrom('users').selectAll().execute()).map((u) => [u.name, u]));
    for (const user of content.users) {
      const held = existing.get(user.name);
      if (!held) {
        const id = newUuid(now);
        await trx.insertInto('users').values({ id, name: user.name, role: user.role, password_hash: user.password_hash, token_version: 0, synced: 1, created_at: now, updated_at: now }).execute();
        changed.push(id);
      } else if (held.role !== user.role || held.password_hash !== user.password_hash || held.synced !== 1) {
        const credentialsChanged = held.role !== user.role || held.password_hash !== user.password_hash;
        await trx
          .updateTable('users')
          .set({ role: user.role, password_hash: user.password_hash, synced: 1, token_version: held.token_version + (credentialsChanged ? 1 : 0), updated_at: now })
          .where('id', '=', held.id)
          .execute();
        changed.push(held.id);
      }
    }
    const wanted = new Set(content.users.map((u) => u.name));
    const gone = [...existing.values()].filter((u) => u.synced === 1 && !wanted.has(u.name));
    let admins = [...existing.values()].filter((u) => (wanted.has(u.name) ? content.users.find((c) => c.name === u.name)!.role : u.role) === 'admin').length;
    for (const user of gone) {
      if (user.role === 'admin' && admins <= 1) continue;
      if (user.role === 'admin') admins--;
      await trx.deleteFrom('users').where('id', '=', user.id).execute();
      changed.push(user.id);
    }
    return changed;
  });
}
