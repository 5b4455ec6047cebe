/**
 * Heartbeat-only subcloud reports, batched. At 10,000 subclouds the system
 * controller gets ~500 reports a second that only move last_report_at; one
 * UPDATE each made the database round trip (a write syscall and a read per
 * report) the controller's largest cost. Reports arriving within `delayMs`
 * share one UPDATE ... RETURNING, and each gets its own row back (or
 * undefined when its subcloud is not in the steady state, so the caller
 * takes the full path). A report waits at most `delayMs` longer — nothing
 * for a long poll that is about to wait 20 s anyway.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { chunk } from '../../db/chunks.js';
import type { Schema, SubcloudRow } from '../../db/schema.js';

type Waiter = { resolve: (row: SubcloudRow | undefined) => void; reject: (err: unknown) => void };

export class HeartbeatBatch {
  private pending = new Map<number, Waiter[]>();
  private timer: NodeJS.Timeout | undefined;
  /** When the batch's first report arrived: its time is recorded, not the flush's (never later than the truth). */
  private openedAt = 0;

  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock; delayMs: number }) {}

  /** Records a heartbeat for an online, synced, enrolled subcloud; resolves with its row, or undefined when it is not one. */
  touch(subcloudId: number): Promise<SubcloudRow | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(subcloudId);
      if (list) list.push({ resolve, reject });
      else this.pending.set(subcloudId, [{ resolve, reject }]);
      if (!this.timer) {
        this.openedAt = this.deps.clock.now();
        this.timer = setTimeout(() => void this.flush(), this.deps.delayMs);
      }
    });
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    const now = this.openedAt;
    for (const ids of chunk([...batch.keys()])) {
      try {
        const rows = await this.deps.db
          .updateTable('subclouds')
          .set({ last_report_at: now, audit_fail_count: 0 })
          .where('id', 'in', ids)
          .where('availability_status', '=', 'online')
          .where('deploy_status', '=', 'complete')
          .where('alarms_synced', '=', 1)
          .where('enroll_token_hash', 'is', null)
          .returningAll()
          .execute();
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const id of ids) for (const w of batch.get(id)!) w.resolve(byId.get(id));
      } catch (err) {
        for (const id of ids) for (const w of batch.get(id)!) w.reject(err);
      }
    }
  }
}
