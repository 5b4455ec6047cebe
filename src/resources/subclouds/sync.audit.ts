/**
 * The sync audit (dcorch's audit): each window it re-reads the desired sync
 * content (catching changes made through another replica), then raises
 * 280.002 for every endpoint of a managed, online subcloud that has stayed
 * out-of-sync for longer than the grace — a managed subcloud normally
 * converges within a report, so only one that does not is alarmed — and
 * clears 280.002 where that is no longer so (in-sync, unmanaged, offline).
 * The software endpoint is never alarmed: out of sync is how a fleet waits
 * for its rollout (software.ts).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { chunk } from '../../db/chunks.js';
import type { Schema } from '../../db/schema.js';
import type { FaultService } from '../alarms/fault.service.js';
import type { SyncService } from './sync.service.js';
import { ALARMED_ENDPOINTS } from '../sync/endpoints.js';

export const syncAlarmEntity = (subcloud: string, endpoint: string): string => `subcloud=${subcloud}.resource=${endpoint}`;

export class SyncAudit {
  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock; fault: FaultService; sync: SyncService; graceMs: number }) {}

  /** One pass; returns the number of alarms raised and cleared. */
  async tick(): Promise<{ raised: number; cleared: number }> {
    await this.deps.sync.refresh();
    const now = this.deps.clock.now();
    const stuck = await this.deps.db
      .selectFrom('subcloud_endpoints as e')
      .innerJoin('subclouds as s', 's.id', 'e.subcloud_id')
      .select(['s.name', 'e.endpoint_type', 'e.out_of_sync_since'])
      .where('e.sync_status', '=', 'out-of-sync')
      .where('e.endpoint_type', 'in', [...ALARMED_ENDPOINTS])
      .where('e.out_of_sync_since', '<', now - this.deps.graceMs)
      .where('s.management_state', '=', 'managed')
      .where('s.availability_status', '=', 'online')
      .execute();
    const wanted = new Map(stuck.map((r) => [syncAlarmEntity(r.name, r.endpoint_type), r]));
    const active = await this.deps.db.selectFrom('alarms').select('entity_instance_id').where('alarm_id', '=', '280.002').execute();
    const have = new Set(active.map((a) => a.entity_instance_id));
    const raise = [...wanted.entries()].filter(([entity]) => !have.has(entity));
    const clear = [...have].filter((entity) => !wanted.has(entity));
    for (const slice of chunk(raise)) {
      await this.deps.fault.batch({
        raise: slice.map(([entity, r]) => ({
          alarm_id: '280.002',
          entity_instance_id: entity,
          severity: 'major',
          reason_text: `${r.name} ${r.endpoint_type} sync_status is out-of-sync (for ${Math.round((now - (r.out_of_sync_since ?? now)) / 1000)} s)`,
        })),
      });
    }
    for (const slice of chunk(clear)) await this.deps.fault.batch({ clear: slice.map((entity) => ({ alarm_id: '280.002', entity_instance_id: entity })) });
    return { raised: raise.length, cleared: clear.length };
  }
}
