/**
 * Many small writes of one kind, coalesced: requests arriving within
 * `delayMs` of the first share one flush (one statement or transaction per
 * slice of ROWS_PER_STATEMENT keys), and each caller gets its own answer —
 * or the flush's error. A request waits at most `delayMs` longer. Used where
 * thousands of subclouds send the same write at once (heartbeats, returns
 * after an outage), and one round trip or lock each would queue them all.
 */
import { chunk } from './chunks.js';

type Waiter<R> = { resolve: (result: R | undefined) => void; reject: (err: unknown) => void };

export interface KeyedBatchOptions<K, R> {
  delayMs: number;
  /** The clock; `openedAt` (when the batch's first request came) is passed to flush. */
  now: () => number;
  /** Writes one slice of keys; returns each key's answer (missing keys get undefined). */
  flush: (keys: K[], openedAt: number) => Promise<Map<K, R> | void>;
}

export class KeyedBatch<K, R = void> {
  private pending = new Map<K, Array<Waiter<R>>>();
  private timer: NodeJS.Timeout | undefined;
  private openedAt = 0;

  constructor(private readonly options: KeyedBatchOptions<K, R>) {}

  add(key: K): Promise<R | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(key);
      if (list) list.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.timer) {
        this.openedAt = this.options.now();
        this.timer = setTimeout(() => void this.flush(), this.options.delayMs);
      }
    });
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    const openedAt = this.openedAt;
    for (const keys of chunk([...batch.keys()])) {
      try {
        const answers = await this.options.flush(keys, openedAt);
        for (const key of keys) for (const w of batch.get(key)!) w.resolve(answers ? answers.get(key) : undefined);
      } catch (err) {
        for (const key of keys) for (const w of batch.get(key)!) w.reject(err);
      }
    }
  }
}
