/**
 * Paces subclouds coming back after an outage. When a link shared by the
 * whole fleet returns, every subcloud's probe finds the system controller
 * within a second and all of them report at once; the controller could take
 * them at a few hundred a second, and the rest timed out, fell back to a
 * 45 s backoff and came back in a long tail. A lone subcloud coming back is
 * let in at once; beyond the rate, each is given a slot (a virtual queue:
 * the time its turn comes) and answered 503 at once with it, which costs a
 * resumed TLS handshake and a few bytes. It comes back at its slot, shows
 * it, and is let in without queueing again.
 *
 * Per process: with replicas behind a load balancer (issue 19) each paces
 * its own share.
 */
import type { Clock } from '../../core/clock.js';
import { UnavailableError } from '../../core/errors.js';

export interface ReconnectGateOptions {
  /** Returning subclouds let in per second, beyond the burst. */
  ratePerSecond: number;
  /** How many may come at once before pacing starts. */
  burst: number;
  clock: Clock;
}

/** A slot shown this long after its time is stale (the subcloud slept through it; it queues again). */
const SLOT_VALID_MS = 60_000;
/** A slot shown this early is honoured (timers on the two sides do not run alike). */
const SLOT_EARLY_MS = 1_000;

export class ReconnectGate {
  /** When the next free admission is; before now means admissions are in hand (up to the burst). */
  private nextFreeAt = 0;
  private readonly intervalMs: number;

  constructor(private readonly options: ReconnectGateOptions) {
    this.intervalMs = 1000 / options.ratePerSecond;
  }

  /** Lets a returning subcloud in, or throws UnavailableError with its appointment. */
  admit(slot: number | undefined): void {
    const now = this.options.clock.now();
    if (slot !== undefined && slot <= now + SLOT_EARLY_MS && slot >= now - SLOT_VALID_MS) return;
    this.nextFreeAt = Math.max(this.nextFreeAt, now - (this.options.burst - 1) * this.intervalMs);
    const at = this.nextFreeAt;
    this.nextFreeAt += this.intervalMs;
    if (at <= now) return;
    const afterMs = Math.ceil(at - now);
    throw new UnavailableError(`subclouds are coming back faster than ${this.options.ratePerSecond}/s; report again in ${afterMs} ms with this slot`, { afterMs, slot: Math.ceil(at) });
  }
}
