/**
 * Caps how many content transfers run at once (StarlingX prestages at most
 * 250 subclouds at a time): a transfer beyond the cap waits its turn, first
 * come first served, instead of being refused — a refused subcloud would
 * back off and retry, wasting the window — and a transfer whose client goes
 * away while waiting leaves the queue.
 */
export class TransferGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Most transfers that ran at once (for benchmarks and metrics). */
  peak = 0;

  constructor(readonly limit: number) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with the release function once a slot is free; rejects if `gone` fires first. */
  acquire(gone: { once(event: 'close', fn: () => void): unknown }): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.active--;
        this.waiting.shift()?.();
      };
      const start = () => {
        this.active++;
        this.peak = Math.max(this.peak, this.active);
        resolve(release);
      };
      if (this.active < this.limit) return start();
      this.waiting.push(start);
      gone.once('close', () => {
        const at = this.waiting.indexOf(start);
        if (at < 0) return;
        this.waiting.splice(at, 1);
        reject(new Error('the client went away while waiting for a transfer slot'));
      });
    });
  }
}
