/**
 * Subcloud groups (dcmanager subcloud-group): every subcloud is in exactly
 * one; `Default` always exists and cannot be deleted or renamed. Deleting a
 * group moves its subclouds to Default, as dcmanager does.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, InputError, NotFoundError } from '../../core/errors.js';
import type { Schema, SubcloudGroupRow } from '../../db/schema.js';
import { APPLY_TYPES, DEFAULT_GROUP, SUBCLOUD_NAME_PATTERN, type ApplyType } from './subcloud.types.js';

export interface GroupView {
  id: number;
  name: string;
  description: string;
  update_apply_type: ApplyType;
  max_parallel_subclouds: number;
  subclouds: number;
  created_at: string;
  updated_at: string;
}

const NAME_RE = new RegExp(SUBCLOUD_NAME_PATTERN);
const iso = (ms: number) => new Date(ms).toISOString();

export class GroupService {
  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock }) {}

  /** Creates Default on first start (id 1). */
  async ensureDefault(): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db
      .insertInto('subcloud_groups')
      .values({ ...DEFAULT_GROUP, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  private async view(rows: SubcloudGroupRow[]): Promise<GroupView[]> {
    const counts = await this.deps.db.selectFrom('subclouds').select(['group_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('group_id').execute();
    const byGroup = new Map(counts.map((c) => [Number(c.group_id), Number(c.n)]));
    return rows.map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      update_apply_type: g.update_apply_type as ApplyType,
      max_parallel_subclouds: g.max_parallel_subclouds,
      subclouds: byGroup.get(g.id) ?? 0,
      created_at: iso(g.created_at),
      updated_at: iso(g.updated_at),
    }));
  }

  async list(): Promise<GroupView[]> {
    return this.view(await this.deps.db.selectFrom('subcloud_groups').selectAll().orderBy('id').execute());
  }

  /** Group names by id, without the per-group counts (for subcloud views: cheap at 10,000 subclouds). */
  async names(): Promise<Map<number, string>> {
    return new Map((await this.deps.db.selectFrom('subcloud_groups').select(['id', 'name']).execute()).map((g) => [g.id, g.name]));
  }

  async row(ref: string): Promise<SubcloudGroupRow> {
    const q = this.deps.db.selectFrom('subcloud_groups').selectAll();
    const row = await (/^\d+$/.test(ref) ? q.where('id', '=', Number(ref)) : q.where('name', '=', ref)).executeTakeFirst();
    if (!row) throw new NotFoundError(`subcloud group ${ref} not found`, 'group');
    return row;
  }

  async get(ref: string): Promise<GroupView> {
    return (await this.view([await this.row(ref)]))[0]!;
  }

  async create(input: { name: string; description?: string; update_apply_type?: ApplyType; max_parallel_subclouds?: number }): Promise<GroupView> {
    if (!NAME_RE.test(input.name) || /^\d+$/.test(input.name)) throw new InputError('name: letters, digits, ".", "_", "-" (not all digits; at most 63)', 'name');
    const now = this.deps.clock.now();
    const row = await this.deps.db
      .insertInto('subcloud_groups')
      .values({
        name: input.name,
        description: input.description ?? '',
        update_apply_type: input.update_apply_type ?? 'parallel',
        max_parallel_subclouds: input.max_parallel_subclouds ?? 2,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new ConflictError(`subcloud group ${input.name} already exists`, 'name');
    return (await this.view([row]))[0]!;
  }

  async update(ref: string, change: { name?: string; description?: string; update_apply_type?: ApplyType; max_parallel_subclouds?: number }): Promise<GroupView> {
    const group = await this.row(ref);
    if (change.name !== undefined && group.name === DEFAULT_GROUP.name && change.name !== DEFAULT_GROUP.name) throw new ConflictError('the Default group cannot be renamed', 'name');
    if (change.name !== undefined && (!NAME_RE.test(change.name) || /^\d+$/.test(change.name))) throw new InputError('name: letters, digits, ".", "_", "-" (not all digits; at most 63)', 'name');
    if (change.update_apply_type !== undefined && !(APPLY_TYPES as readonly string[]).includes(change.update_apply_type)) throw new InputError('update_apply_type: parallel or serial', 'update_apply_type');
    try {
      await this.deps.db.updateTable('subcloud_groups').set({ ...change, updated_at: this.deps.clock.now() }).where('id', '=', group.id).execute();
    } catch (err) {
      if (/unique/i.test((err as Error).message)) throw new ConflictError(`subcloud group ${change.name} already exists`, 'name');
      throw err;
    }
    return this.get(String(group.id));
  }

  async delete(ref: string): Promise<void> {
    const group = await this.row(ref);
    if (group.name === DEFAULT_GROUP.name) throw new ConflictError('the Default group cannot be deleted', 'group');
    const fallback = await this.row(DEFAULT_GROUP.name);
    await this.deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('subclouds').set({ group_id: fallback.id }).where('group_id', '=', group.id).execute();
      await trx.deleteFrom('subcloud_groups').where('id', '=', group.id).execute();
    });
  }
}
