/**
 * WAN profiles: what a link between the system controller and a subcloud
 * looks like, so operators can rehearse a rollout over the links they have.
 *
 * These are properties of simulated networks, not Starling's own timeouts,
 * so they live here rather than in core/durations.ts.
 */
import { InputError } from '../../core/errors.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const MBIT = 1_000_000;

export interface WanProfile {
  readonly name: string;
  /** One-way propagation delay: the floor no packet beats. */
  readonly latencyMs: number;
  /** Extra queueing delay, uniform in [0, jitterMs), added to the latency. */
  readonly jitterMs: number;
  /** Probability, 0..1, that one request/response exchange (or one TCP chunk) is lost. */
  readonly loss: number;
  /** Link capacity in bits per second; 0 means unlimited. */
  readonly bandwidthBps: number;
  /** Scheduled outages: the link is down for durationMs once every everyMs, at a per-link phase. */
  readonly outages?: { readonly everyMs: number; readonly durationMs: number };
  /** Flapping: up for upMs, then down for downMs, repeating, at a per-link phase. */
  readonly flap?: { readonly upMs: number; readonly downMs: number };
}

/** The built-in profiles, from best to worst; values are typical, not measured. */
export const PROFILES = {
  /** The same data centre: sub-millisecond, never the bottleneck. */
  lan: { name: 'lan', latencyMs: 0.2, jitterMs: 0, loss: 0, bandwidthBps: 1000 * MBIT },
  /** A metro fibre or MPLS circuit to a nearby site. */
  metro: { name: 'metro', latencyMs: 5, jitterMs: 1, loss: 0.0001, bandwidthBps: 100 * MBIT },
  /**
   * LTE backhaul: variable queueing in the radio network, and a 30 s drop
   * every hour for cell reselection or congestion.
   */
  lte: {
    name: 'lte',
    latencyMs: 35,
    jitterMs: 15,
    loss: 0.005,
    bandwidthBps: 20 * MBIT,
    outages: { everyMs: 1 * HOUR, durationMs: 30 * SECOND },
  },
  /**
   * A long DSL or microwave run to a remote site: slow, lossy, and down for
   * 5 minutes every 2 hours (the long drops that make sites go offline).
   */
  rural: {
    name: 'rural',
    latencyMs: 80,
    jitterMs: 20,
    loss: 0.01,
    bandwidthBps: 2 * MBIT,
    outages: { everyMs: 2 * HOUR, durationMs: 5 * MINUTE },
  },
  /**
   * Low-earth-orbit satellite (Starlink-like): 25 to 60 ms round trip, but
   * the serving satellite changes every 15 s, with a 2 s gap and a loss
   * burst at each handover (as loss spread over the cycle: the link model
   * has no bursts). Every connection open at a handover is cut.
   */
  leo: {
    name: 'leo',
    latencyMs: 12.5,
    jitterMs: 17.5,
    loss: 0.01,
    bandwidthBps: 100 * MBIT,
    flap: { upMs: 13 * SECOND, downMs: 2 * SECOND },
  },
  /**
   * Geostationary satellite: ~600 ms round trip, 5% loss, and a 15 s drop
   * every 5 minutes (rain fade, beam handover).
   */
  satellite: {
    name: 'satellite',
    latencyMs: 300,
    jitterMs: 50,
    loss: 0.05,
    bandwidthBps: 5 * MBIT,
    flap: { upMs: 5 * MINUTE - 15 * SECOND, downMs: 15 * SECOND },
  },
} as const satisfies Record<string, WanProfile>;

export type ProfileName = keyof typeof PROFILES;

const KNOWN = Object.keys(PROFILES).join(', ');

type Mutable = { -readonly [K in keyof WanProfile]: WanProfile[K] };

/** How each `key=value` override applies; the keys are what users type. */
const SETTINGS: Record<string, (p: Mutable, value: string, key: string) => void> = {
  latency: (p, v, k) => (p.latencyMs = duration(v, k)),
  jitter: (p, v, k) => (p.jitterMs = duration(v, k)),
  loss: (p, v, k) => (p.loss = probability(v, k)),
  bandwidth: (p, v, k) => (p.bandwidthBps = bitsPerSecond(v, k)),
  outage: (p, v, k) => {
    const pair = durationPair(v, k, 'DOWN/EVERY like 5m/2h');
    p.outages = pair && { durationMs: pair[0], everyMs: pair[1] };
  },
  flap: (p, v, k) => {
    const pair = durationPair(v, k, 'UP/DOWN like 285s/15s');
    p.flap = pair && { upMs: pair[0], downMs: pair[1] };
  },
};

/**
 * A profile from a spec: a built-in name, optionally followed by overrides,
 * e.g. `rural,loss=0.02,latency=100`. Durations are milliseconds, or take a
 * unit (`ms`, `s`, `m`, `h`); bandwidth is bits per second with an optional
 * `k`, `m` or `g`; `outage=5m/2h` and `flap=285s/15s` set the schedules and
 * `outage=none` / `flap=none` remove them. Throws an InputError naming the
 * field and the reason.
 */
export function parseProfile(spec: string): WanProfile {
  const [name = '', ...overrides] = spec.split(',').map((part) => part.trim());
  if (!Object.hasOwn(PROFILES, name)) throw bad('profile', `unknown profile "${name}" (known: ${KNOWN})`);
  const profile: Mutable = { ...PROFILES[name as ProfileName] };
  for (const override of overrides) {
    const eq = override.indexOf('=');
    const key = eq > 0 ? override.slice(0, eq) : '';
    if (!key) throw bad('profile', `expected key=value, got "${override}"`);
    const apply = Object.hasOwn(SETTINGS, key) ? SETTINGS[key] : undefined;
    if (!apply) throw bad('profile', `unknown setting "${key}" (known: ${Object.keys(SETTINGS).join(', ')})`);
    apply(profile, override.slice(eq + 1).trim(), key);
  }
  if (!profile.outages) delete profile.outages;
  if (!profile.flap) delete profile.flap;
  if (overrides.length) profile.name = [name, ...overrides].join(',');
  return Object.freeze(checkProfile(profile));
}

/** Checks what no single field can: a scheduled outage must leave the link some uptime. */
function checkProfile(p: Mutable): Mutable {
  if (p.outages && p.outages.durationMs >= p.outages.everyMs) {
    throw bad('outage', `the outage (${p.outages.durationMs} ms) must be shorter than its period (${p.outages.everyMs} ms)`);
  }
  return p;
}

function bad(field: string, reason: string): InputError {
  const path = field === 'profile' ? field : `profile ${field}`;
  return new InputError(`${path}: ${reason}`, field === 'profile' ? 'profile' : `profile.${field}`);
}

const UNITS: Record<string, number> = { '': 1, ms: 1, s: SECOND, m: MINUTE, h: HOUR };

function duration(value: string, key: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  if (!m) throw bad(key, `must be a duration like 100, 100ms, 15s, 5m or 2h (got "${value}")`);
  return Number(m[1]) * UNITS[m[2] ?? '']!;
}

function probability(value: string, key: string): number {
  const n = /^\d*\.?\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 1)) throw bad(key, `must be between 0 and 1 (got "${value}")`);
  return n;
}

function bitsPerSecond(value: string, key: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])?$/i.exec(value);
  if (!m) throw bad(key, `must be bits per second like 2000000, 2m or 512k; 0 for unlimited (got "${value}")`);
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * scale);
}

/** Two positive durations `A/B`, or undefined for `none`. */
function durationPair(value: string, key: string, shape: string): [number, number] | undefined {
  if (value === 'none') return undefined;
  const parts = value.split('/');
  if (parts.length !== 2) throw bad(key, `must be ${shape}, or none (got "${value}")`);
  const [a, b] = parts.map((part) => duration(part.trim(), key)) as [number, number];
  if (a <= 0 || b <= 0) throw bad(key, `both durations must be above zero (got "${value}")`);
  return [a, b];
}
