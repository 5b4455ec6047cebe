/**
 * 280.001 clears for subclouds coming back online, batched. When a link to
 * thousands of sites returns, every site's first report brings it back; a
 * clear written in each report's own transaction takes the event log's lock
 * (PostgreSQL orders event sequence numbers by commit), so 10,000 returns
 * queued behind one another. Clears arriving within `delayMs` share one
 * transaction instead. Each caller waits for its flush, so the reply to a
 * returning subcloud still follows the clear.
 *
 * The subcloud is marked online before its clear is written; should the
 * controller stop in between, the availability audit's reconcile clears the
 * alarm of any online subcloud.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import { chunk } from '../../db/chunks.js';
import type { FaultService } from '../alarms/fault.service.js';

type Waiter = { resolve: () => void; reject: (err: unknown) => void };

export const offlineAlarmKey = (name: string) => ({ alarm_id: '280.001', entity_instance_id: `subcloud=${name}` });

export class OfflineAlarmClears {
  private pending = new Map<string, Waiter[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: { db: Kysely<Schema>; fault: FaultService; delayMs: number }) {}

  /** Clears the subcloud's 280.001 (if active); resolves once committed. */
  clear(name: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(name);
      if (list) list.push({ resolve, reject });
      else this.pending.set(name, [{ resolve, reject }]);
      this.timer ??= setTimeout(() => void this.flush(), this.deps.delayMs);
    });
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    for (const names of chunk([...batch.keys()])) {
      try {
        const effects = await this.deps.db.transaction().execute((trx) => this.deps.fault.applyBatch(trx, { clear: names.map(offlineAlarmKey) }));
        this.deps.fault.committed(effects);
        for (const n of names) for (const w of batch.get(n)!) w.resolve();
      } catch (err) {
        for (const n of names) for (const w of batch.get(n)!) w.reject(err);
      }
    }
  }
}
