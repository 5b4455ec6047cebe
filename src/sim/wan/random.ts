/**
 * Seeded randomness for the simulator, so that a run with the same `--seed`
 * draws the same jitter, losses and outage phases.
 *
 * The generator is mulberry32 (Tommy Ettinger): 32 bits of state, a few
 * integer operations per draw, and good enough statistics for a simulator.
 * It is not for anything secret.
 */

/** A stream of uniform numbers in [0, 1) that can spawn independent streams. */
export interface Random {
  /** The next number, uniform in [0, 1). */
  next(): number;
  /**
   * An independent stream for `label` (a link name, "jitter", ...). It
   * depends only on this stream's seed and the label, not on how many
   * numbers were drawn so far, so adding traffic on one link does not shift
   * the draws of every other link.
   */
  fork(label: string): Random;
}

/** A stream for a `--seed` value; the same seed always gives the same stream. */
export function seededRandom(seed: number | string): Random {
  return new Mulberry32(hash32(String(seed), 0));
}

class Mulberry32 implements Random {
  private state: number;

  constructor(private readonly key: number) {
    this.state = key;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  fork(label: string): Random {
    return new Mulberry32(hash32(label, this.key));
  }
}

/**
 * FNV-1a over the label, seeded with the parent's key, then murmur3's
 * finalizer: FNV alone leaves labels that differ in one character
 * ("subcloud-1", "subcloud-2") with keys that differ in a few bits, and
 * mulberry32's first draws would then be close too.
 */
function hash32(text: string, basis: number): number {
  let h = (0x811c9dc5 ^ basis) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
