/**
 * One simulated WAN link: whether it is up right now, how long a message
 * takes to cross it, and whether a message is lost. The transports
 * (impaired-fetch.ts, proxy.ts) ask it; it never touches a socket or timer.
 */
import type { WanProfile } from './profile.js';
import type { Random } from './random.js';

export interface WanLinkOptions {
  profile: WanProfile;
  /** This link's own stream (e.g. `seededRandom(seed).fork(subcloudName)`). */
  random: Random;
  /**
   * Milliseconds; the schedule counts from the value at construction.
   * @default Date.now
   */
  now?: () => number;
}

/** A repeating up/down cycle, shifted by a per-link phase so links do not all drop together. */
interface Cycle {
  upMs: number;
  downMs: number;
  phaseMs: number;
}

/** Which half of an exchange was lost. */
export type LostLeg = 'request' | 'response';

export class WanLink {
  readonly profile: WanProfile;
  readonly now: () => number;
  private readonly origin: number;
  private readonly cycles: Cycle[] = [];
  // Separate streams, so the schedule does not depend on how much traffic
  // drew jitter, and jitter does not depend on how many losses were drawn.
  private readonly jitter: Random;
  private readonly loss: Random;
  private manuallyCut = false;
  private readonly listeners = new Set<() => void>();

  constructor(options: WanLinkOptions) {
    this.profile = options.profile;
    this.now = options.now ?? Date.now;
    this.origin = this.now();
    this.jitter = options.random.fork('jitter');
    this.loss = options.random.fork('loss');
    const schedule = options.random.fork('schedule');
    const { outages, flap } = this.profile;
    const cycle = (upMs: number, downMs: number): Cycle => ({ upMs, downMs, phaseMs: Math.floor(schedule.next() * (upMs + downMs)) });
    if (outages) this.cycles.push(cycle(outages.everyMs - outages.durationMs, outages.durationMs));
    if (flap) this.cycles.push(cycle(flap.upMs, flap.downMs));
  }

  /** Round-trip propagation time, without jitter or serialization. */
  get rttMs(): number {
    return 2 * this.profile.latencyMs;
  }

  /** Up unless cut by hand or inside a scheduled outage or flap. */
  isUp(now = this.now()): boolean {
    return !this.manuallyCut && this.cycles.every((c) => position(c, now - this.origin) < c.upMs);
  }

  /** When the schedule next changes the link's state; undefined if it has no schedule. */
  nextChangeAt(now = this.now()): number | undefined {
    let next: number | undefined;
    for (const c of this.cycles) {
      const p = position(c, now - this.origin);
      const at = now + (p < c.upMs ? c.upMs - p : c.upMs + c.downMs - p);
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  /** One-way delay for a message of `bytes`: propagation, jitter and serialization. */
  delayMs(bytes: number): number {
    return this.propagationMs() + this.serializationMs(bytes);
  }

  /** Latency plus a fresh jitter draw (jitter only adds: nothing beats the latency). */
  propagationMs(): number {
    return this.profile.latencyMs + this.jitter.next() * this.profile.jitterMs;
  }

  /** Time to put `bytes` on the wire at the link's bandwidth. */
  serializationMs(bytes: number): number {
    const bps = this.profile.bandwidthBps;
    return bps > 0 ? (bytes * 8 * 1000) / bps : 0;
  }

  /** One loss draw: true with the profile's loss probability. */
  lost(): boolean {
    return this.loss.next() < this.profile.loss;
  }

  /**
   * One draw for a whole request/response exchange: lost with the profile's
   * probability, and then as often on the response as on the request, so
   * the simulation also covers "the far end acted but the reply was lost".
   */
  lostLeg(): LostLeg | undefined {
    if (!this.lost()) return undefined;
    return this.loss.next() < 0.5 ? 'request' : 'response';
  }

  /** Takes the link down until restore(), whatever the schedule says. */
  cut(): void {
    if (this.manuallyCut) return;
    this.manuallyCut = true;
    this.emit();
  }

  /** Ends a cut(); the link is then up or down as its schedule says. */
  restore(): void {
    if (!this.manuallyCut) return;
    this.manuallyCut = false;
    this.emit();
  }

  get isCut(): boolean {
    return this.manuallyCut;
  }

  /**
   * Calls `listener` on cut() and restore(), so a transport can drop its
   * connections at once. Scheduled changes are not announced: ask
   * nextChangeAt(). Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Where `elapsed` falls within the cycle, in [0, up + down). */
function position(c: Cycle, elapsed: number): number {
  const period = c.upMs + c.downMs;
  return (((elapsed + c.phaseMs) % period) + period) % period;
}
