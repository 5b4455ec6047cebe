/**
 * Counts failed logins per user name and per source address over a sliding
 * window; past the limit, further attempts are refused until the oldest
 * failure leaves the window. In memory: each replica limits on its own,
 * which bounds guessing to (replicas x limit) per window.
 */
import type { Clock } from '../../core/clock.js';
import { TooManyRequestsError } from '../../core/errors.js';

export interface LoginLimits {
  windowMs: number;
  perUser: number;
  perAddress: number;
}

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limits: LoginLimits,
  ) {}

  private recent(key: string): number[] {
    const since = this.clock.now() - this.limits.windowMs;
    const kept = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (kept.length) this.failures.set(key, kept);
    else this.failures.delete(key);
    return kept;
  }

  /** Throws TooManyRequestsError if either the user or the address is over its limit. */
  check(user: string, address: string): void {
    for (const [key, limit, what] of [
      [`u:${user}`, this.limits.perUser, `user ${user}`],
      [`a:${address}`, this.limits.perAddress, `address ${address}`],
    ] as const) {
      const times = this.recent(key);
      if (times.length >= limit) {
        const retryAfter = Math.max(1, Math.ceil((times[0]! + this.limits.windowMs - this.clock.now()) / 1000));
        throw new TooManyRequestsError(`too many failed logins for ${what}; try again in ${retryAfter} s`, retryAfter);
      }
    }
  }

  fail(user: string, address: string): void {
    const now = this.clock.now();
    for (const key of [`u:${user}`, `a:${address}`]) this.failures.set(key, [...this.recent(key), now]);
  }

  /** A successful login clears the user's failures (not the address's). */
  succeed(user: string): void {
    this.failures.delete(`u:${user}`);
  }
}
