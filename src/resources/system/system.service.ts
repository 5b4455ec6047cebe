/**
 * The system: one row naming the site, its mode and its distributed-cloud
 * role. Mode changes follow StarlingX: AIO-Simplex may become AIO-Duplex,
 * only with controller-0 locked, and never back.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, InputError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import type { Schema, SystemRow } from '../../db/schema.js';
import { SYSTEM_MODES } from '../../core/config.js';

/**
 * - `simplex`: all-in-one, one controller host.
 * - `duplex`: all-in-one, two controllers (active/standby), optional workers.
 * - `standard`: dedicated controllers plus worker and storage hosts.
 */
export { SYSTEM_MODES };
export type SystemMode = (typeof SYSTEM_MODES)[number];

export interface SystemView {
  name: string;
  mode: SystemMode;
  role: string;
  software_version: string;
  created_at: string;
  updated_at: string;
}

const toView = (r: SystemRow): SystemView => ({
  name: r.name,
  mode: r.mode as SystemMode,
  role: r.role,
  software_version: r.software_version,
  created_at: new Date(r.created_at).toISOString(),
  updated_at: new Date(r.updated_at).toISOString(),
});

export class SystemService {
  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock }) {}

  /** Creates the system row on first start; later starts keep what is stored. */
  async ensure(initial: { name: string; mode: SystemMode; role: string }): Promise<SystemView> {
    const now = this.deps.clock.now();
    await this.deps.db
      .insertInto('system')
      .values({ id: 1, ...initial, software_version: VERSION, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return this.get();
  }

  async get(): Promise<SystemView> {
    return toView(await this.deps.db.selectFrom('system').selectAll().where('id', '=', 1).executeTakeFirstOrThrow());
  }

  async modify(change: { name?: string; mode?: SystemMode }): Promise<SystemView> {
    if (change.name === undefined && change.mode === undefined) throw new InputError('nothing to change: give name and/or mode', 'name');
    await this.deps.db.transaction().execute(async (trx) => {
      const system = await trx.selectFrom('system').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
      if (change.mode !== undefined && change.mode !== system.mode) await checkModeChange(trx, system.mode as SystemMode, change.mode);
      await trx
        .updateTable('system')
        .set({ ...(change.name !== undefined ? { name: change.name } : {}), ...(change.mode !== undefined ? { mode: change.mode } : {}), updated_at: this.deps.clock.now() })
        .where('id', '=', 1)
        .execute();
    });
    return this.get();
  }
}

async function checkModeChange(db: Kysely<Schema>, from: SystemMode, to: SystemMode): Promise<void> {
  const rule = 'only AIO-Simplex can change mode, only to duplex, with controller-0 locked; never back';
  if (from !== 'simplex') throw new ConflictError(`cannot change mode from ${from} to ${to}: ${from} is final (rule: ${rule})`, 'mode');
  if (to !== 'duplex') throw new ConflictError(`cannot change mode from simplex to ${to} (rule: ${rule})`, 'mode');
  const controller0 = await db.selectFrom('hosts').select(['administrative']).where('hostname', '=', 'controller-0').executeTakeFirst();
  if (!controller0) throw new ConflictError(`cannot change mode to duplex: controller-0 is not provisioned (rule: ${rule})`, 'mode');
  if (controller0.administrative !== 'locked') throw new ConflictError(`cannot change mode to duplex: controller-0 is unlocked; lock it first (rule: ${rule})`, 'mode');
}
