/**
 * Users and their guards: the last admin cannot be deleted or demoted, and
 * nobody can delete themselves. Password and role changes bump the user's
 * token version, which ends their existing login sessions.
 */
import type { Clock } from '../../core/clock.js';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../../core/errors.js';
import { newUuid, randomPassword } from '../../core/ids.js';
import type { Dialect } from '../../db/database.js';
import type { Schema, UserRow } from '../../db/schema.js';
import type { Kysely } from 'kysely';
import { dummyHash, hashPassword, verifyPassword } from './password.js';
import { isRole, type Role } from './roles.js';
import { countAdmins, getUserByName, listUsers } from './user.store.js';

export interface UserView {
  name: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export const toUserView = (u: UserRow): UserView => ({
  name: u.name,
  role: u.role as Role,
  created_at: new Date(u.created_at).toISOString(),
  updated_at: new Date(u.updated_at).toISOString(),
});

export const USER_NAME_PATTERN = '^[a-z][a-z0-9._-]{0,63}$';
const NAME_RE = new RegExp(USER_NAME_PATTERN);

export interface UserServiceDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  clock: Clock;
  /** Told when a user's role, password or existence changes (auth caches listen). */
  onChange?: (userId: string) => void;
}

export class UserService {
  constructor(private readonly deps: UserServiceDeps) {}

  async list(): Promise<UserView[]> {
    return (await listUsers(this.deps.db)).map(toUserView);
  }

  async get(name: string): Promise<UserView> {
    const user = await getUserByName(this.deps.db, name);
    if (!user) throw new NotFoundError(`user ${name} not found`, 'name');
    return toUserView(user);
  }

  /** Creates a user; without a password, one is generated and returned once. */
  async create(input: { name: string; role: string; password?: string }): Promise<{ user: UserView; generatedPassword?: string }> {
    if (!NAME_RE.test(input.name)) throw new InputError('name: must start with a letter and use only a-z, 0-9, ".", "_", "-" (at most 64)', 'name');
    if (!isRole(input.role)) throw new InputError('role: must be one of admin, operator, reader', 'role');
    const generated = input.password === undefined ? randomPassword(12) : undefined;
    const password = input.password ?? generated!;
    const now = this.deps.clock.now();
    const row: UserRow = {
      id: newUuid(),
      name: input.name,
      role: input.role,
      password_hash: await hashPassword(password),
      token_version: 0,
      synced: 0,
      created_at: now,
      updated_at: now,
    };
    const inserted = await this.deps.db
      .insertInto('users')
      .values(row)
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new ConflictError(`user ${input.name} already exists`, 'name');
    this.deps.onChange?.(row.id);
    return { user: toUserView(row), ...(generated ? { generatedPassword: generated } : {}) };
  }

  /**
   * Creates the `admin` user when there are no users at all (first start).
   * Returns the password only when it was generated, to be printed once.
   */
  async ensureAdmin(password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    const any = await this.deps.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (any) return { created: false };
    try {
      const { generatedPassword } = await this.create({ name: 'admin', role: 'admin', ...(password ? { password } : {}) });
      return { created: true, ...(generatedPassword ? { generatedPassword } : {}) };
    } catch (err) {
      // Another replica created it first.
      if (err instanceof ConflictError) return { created: false };
      throw err;
    }
  }

  /** Changes role and/or password. `actor` is the user making the change. */
  async update(name: string, change: { role?: string; password?: string }, actor: { name: string; role: Role }): Promise<UserView> {
    if (change.role === undefined && change.password === undefined) throw new InputError('nothing to change: give role and/or password', 'role');
    if (change.role !== undefined && !isRole(change.role)) throw new InputError('role: must be one of admin, operator, reader', 'role');
    if (actor.role !== 'admin') {
      if (actor.name !== name) throw new NotAllowedError("only an admin can change another user");
      if (change.role !== undefined) throw new NotAllowedError('only an admin can change roles', 'role');
    }
    const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
    const updated = await this.deps.db.transaction().execute(async (trx) => {
      const user = await getUserByName(trx, name);
      if (!user) throw new NotFoundError(`user ${name} not found`, 'name');
      if (user.role === 'admin' && change.role !== undefined && change.role !== 'admin') {
        if ((await countAdmins(trx, this.deps.dialect === 'postgres')) <= 1) {
          throw new ConflictError(`${name} is the last admin and cannot be demoted; make another user admin first`, 'role');
        }
      }
      const now = this.deps.clock.now();
      const next = {
        role: change.role ?? user.role,
        password_hash: passwordHash ?? user.password_hash,
        token_version: user.token_version + 1,
        updated_at: now,
      };
      await trx.updateTable('users').set(next).where('id', '=', user.id).execute();
      return { ...user, ...next };
    });
    this.deps.onChange?.(updated.id);
    return toUserView(updated);
  }

  async delete(name: string, actor: { name: string }): Promise<void> {
    if (name === actor.name) throw new NotAllowedError('you cannot delete yourself', 'name');
    const id = await this.deps.db.transaction().execute(async (trx) => {
      const user = await getUserByName(trx, name);
      if (!user) throw new NotFoundError(`user ${name} not found`, 'name');
      if (user.role === 'admin' && (await countAdmins(trx, this.deps.dialect === 'postgres')) <= 1) {
        throw new ConflictError(`${name} is the last admin and cannot be deleted`, 'name');
      }
      await trx.deleteFrom('users').where('id', '=', user.id).execute();
      return user.id;
    });
    this.deps.onChange?.(id);
  }

  /** The user if the password matches; null otherwise, in about the same time. */
  async checkPassword(name: string, password: string): Promise<UserRow | null> {
    const user = await getUserByName(this.deps.db, name);
    const ok = await verifyPassword(password, user?.password_hash ?? (await dummyHash()));
    return user && ok ? user : null;
  }
}
