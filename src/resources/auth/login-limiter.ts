/**
 * Failed logins, counted over a sliding window, so that guessing is slow
 * without letting a guesser lock anyone else out.
 *
 * - Per (user, address): past `perUserAddress` failures, that address may
 *   not try that user again until the oldest failure leaves the window
 *   (StarlingX's lockout, kept, but only for the address that earned it).
 * - Per address, any user: past `perAddress`, that address is refused.
 * - Per user, from every address: past `perUserAddress` failures in all
 *   (more than one address may make),
 *   each further attempt for that user waits before its password is checked
 *   (doubling from `slowdownBaseMs` up to `slowdownCapMs`). Spreading the
 *   guesses over many addresses is slowed down; the real user, from their
 *   own address, still gets in, a few seconds late at worst.
 *
 * Before this, five failures for a user from anywhere locked that user out
 * for everyone, the last admin included: one attacker could keep the admin
 * out for as long as it liked.
 *
 * In memory: each replica limits on its own, which bounds guessing to
 * (replicas x limit) per window, and a restart clears every count.
 */
import type { Clock } from '../../core/clock.js';
import { TooManyRequestsError } from '../../core/errors.js';

export interface LoginLimits {
  windowMs: number;
  perUserAddress: number;
  perAddress: number;
  slowdownBaseMs: number;
  slowdownCapMs: number;
}

/** Keys kept before expired ones are swept: made-up user names and addresses must not grow memory without end. */
const MAX_KEYS = 100_000;

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

  /**
   * Throws TooManyRequestsError if this address is over its limit, for this
   * user or at all; otherwise returns how long to wait before checking the
   * password (0 unless the user is being guessed at from many addresses).
   */
  check(user: string, address: string): number {
    for (const [key, limit, what] of [
      [`ua:${user}\u0000${address}`, this.limits.perUserAddress, `user ${user} from ${address}`],
      [`a:${address}`, this.limits.perAddress, `address ${address}`],
    ] as const) {
      const times = this.recent(key);
      if (times.length >= limit) {
        const retryAfter = Math.max(1, Math.ceil((times[0]! + this.limits.windowMs - this.clock.now()) / 1000));
        throw new TooManyRequestsError(`too many failed logins for ${what}; try again in ${retryAfter} s`, retryAfter);
      }
    }
    // More failures than one address may make: someone is spreading guesses.
    const over = this.recent(`u:${user}`).length - this.limits.perUserAddress;
    if (over <= 0) return 0;
    return Math.min(this.limits.slowdownCapMs, this.limits.slowdownBaseMs * 2 ** (over - 1));
  }

  fail(user: string, address: string): void {
    const now = this.clock.now();
    if (this.failures.size >= MAX_KEYS) this.sweep();
    for (const key of [`ua:${user}\u0000${address}`, `a:${address}`, `u:${user}`]) this.failures.set(key, [...this.recent(key), now]);
  }

  /** A successful login clears what this address did against this user (not the address's count, nor the user's from elsewhere). */
  succeed(user: string, address: string): void {
    this.failures.delete(`ua:${user}\u0000${address}`);
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
    // Still full of live keys (a flood of made-up names): start again rather than grow.
    if (this.failures.size >= MAX_KEYS) this.failures.clear();
  }
}
