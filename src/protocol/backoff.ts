/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff and Jitter"): the delay is uniform in [0, min(cap, base * 2^n)].
 * When 10,000 sites lose their controller at once, full jitter spreads their
 * returns across the whole window instead of in synchronized waves.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next retry; each call widens the window until the cap. */
  next(): number {
    const ceiling = Math.min(this.policy.capMs, this.policy.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
