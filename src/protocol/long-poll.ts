/**
 * Parent side of the long poll: a report may wait, up to its `wait_ms`, for
 * the child's desired state to change, so a change reaches an online child
 * within a second instead of at its next report. `notify(key)` wakes the
 * waiters of one child; `notifyAll` (shutdown) wakes everyone.
 */
export class Waiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Resolves true when notified, false at the timeout. */
  wait(key: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let set = this.waiting.get(key);
      if (!set) this.waiting.set(key, (set = new Set()));
      const done = (notified: boolean) => {
        clearTimeout(timer);
        set!.delete(wake);
        if (set!.size === 0) this.waiting.delete(key);
        resolve(notified);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      set.add(wake);
    });
  }

  /** Whether a report is held for `key` right now (its child is connected and waiting). */
  has(key: string): boolean {
    return this.waiting.has(key);
  }

  notify(key: string): void {
    for (const wake of [...(this.waiting.get(key) ?? [])]) wake();
  }

  /** Wakes every waiter whose key starts with `prefix` (a change for all subclouds). */
  notifyPrefix(prefix: string): void {
    for (const key of [...this.waiting.keys()]) if (key.startsWith(prefix)) this.notify(key);
  }

  notifyAll(): void {
    for (const key of [...this.waiting.keys()]) this.notify(key);
  }

  get size(): number {
    let n = 0;
    for (const s of this.waiting.values()) n += s.size;
    return n;
  }
}
