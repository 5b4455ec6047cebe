/**
 * 280.001 clears for subclouds coming back online, batched. When a link to
 * thousands of sites returns, every site's first report brings it back; a
 * clear written in each report's own transaction takes the event log's lock
 * (PostgreSQL orders event sequence numbers by commit), so 10,000 returns
 * queued behind one another. Clears arriving within `delayMs` share one
 * transaction instead (KeyedBatch). Each caller waits for its flush, so the
 * reply to a returning subcloud still follows the clear.
 *
 * The subcloud is marked online before its clear is written; should the
 * controller stop in between, the availability audit's reconcile clears the
 * alarm of any online subcloud.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { KeyedBatch } from '../../db/keyed-batch.js';
import type { Schema } from '../../db/schema.js';
import type { FaultService } from '../alarms/fault.service.js';

export const OFFLINE_ENTITY_PREFIX = 'subcloud=';
export const offlineAlarmKey = (name: string) => ({ alarm_id: '280.001', entity_instance_id: `${OFFLINE_ENTITY_PREFIX}${name}` });

export class OfflineAlarmClears {
  private readonly batch: KeyedBatch<string>;

  constructor(deps: { db: Kysely<Schema>; clock: Clock; fault: FaultService; delayMs: number }) {
    this.batch = new KeyedBatch<string>({
      delayMs: deps.delayMs,
      now: () => deps.clock.now(),
      flush: async (names) => {
        const effects = await deps.db.transaction().execute((trx) => deps.fault.applyBatch(trx, { clear: names.map(offlineAlarmKey) }));
        deps.fault.committed(effects);
      },
    });
  }

  /** Clears the subcloud's 280.001 (if active); resolves once committed. */
  async clear(name: string): Promise<void> {
    await this.batch.add(name);
  }
}
