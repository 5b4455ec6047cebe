/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential
 * Backoff and Jitter"): the delay is uniform in [0, min(cap, base * 2^n)].
 * When 10,000 sites lose their controller at once, full jitter spreads their
 * returns across the whole window instead of in synchronized waves.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /**
   * For the first `windowMs` of an outage, retry at most `capMs` apart: a
   * short drop (a satellite link's 15 s fade) is then over within a few
   * seconds of the link's return instead of a doubled window later. Past
   * the window the widening backoff is in force, as if it had run all
   * along, so a long outage still ends in a spread-out return.
   */
  early?: { windowMs: number; capMs: number };
}

export class Backoff {
  private attempt = 0;
  private firstFailureAt: number | undefined;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** The delay before the next retry; each call widens the window until the cap. */
  next(): number {
    const now = this.now();
    this.firstFailureAt ??= now;
    let ceiling = Math.min(this.policy.capMs, this.policy.baseMs * 2 ** this.attempt);
    const early = this.policy.early;
    if (early && now - this.firstFailureAt < early.windowMs) ceiling = Math.min(ceiling, early.capMs);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.floor(this.random() * ceiling);
  }

  reset(): void {
    this.attempt = 0;
    this.firstFailureAt = undefined;
  }

  get failures(): number {
    return this.attempt;
  }
}
