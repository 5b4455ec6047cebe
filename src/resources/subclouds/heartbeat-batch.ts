/**
 * Heartbeat-only subcloud reports, batched. At 10,000 subclouds the system
 * controller gets ~500 reports a second that only move last_report_at; one
 * UPDATE each made the database round trip (a write syscall and a read per
 * report) the controller's largest cost. Reports arriving within `delayMs`
 * share one UPDATE ... RETURNING, and each gets its own row back (or
 * undefined when its subcloud is not in the steady state, so the caller
 * takes the full path). A report waits at most `delayMs` longer — nothing
 * for a long poll that is about to wait 20 s anyway. The time recorded is
 * when the batch's first report arrived (never later than the truth).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { KeyedBatch } from '../../db/keyed-batch.js';
import type { Schema, SubcloudRow } from '../../db/schema.js';

export class HeartbeatBatch {
  private readonly batch: KeyedBatch<number, SubcloudRow>;

  constructor(deps: { db: Kysely<Schema>; clock: Clock; delayMs: number }) {
    this.batch = new KeyedBatch({
      delayMs: deps.delayMs,
      now: () => deps.clock.now(),
      flush: async (ids, openedAt) => {
        const rows = await deps.db
          .updateTable('subclouds')
          .set({ last_report_at: openedAt, audit_fail_count: 0 })
          .where('id', 'in', ids)
          .where('availability_status', '=', 'online')
          .where('deploy_status', '=', 'complete')
          .where('alarms_synced', '=', 1)
          .where('enroll_token_hash', 'is', null)
          .returningAll()
          .execute();
        return new Map(rows.map((r) => [r.id, r]));
      },
    });
  }

  /** Records a heartbeat for an online, synced, enrolled subcloud; resolves with its row, or undefined when it is not one. */
  touch(subcloudId: number): Promise<SubcloudRow | undefined> {
    return this.batch.add(subcloudId);
  }
}
