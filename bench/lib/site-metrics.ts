/**
 * A Prometheus histogram read from the server's /metrics text, and quantiles
 * from it the way Prometheus' histogram_quantile() computes them: find the
 * bucket holding the rank, interpolate linearly inside it (from 0 for the
 * first bucket). A rank in the +Inf bucket gives the highest finite bound.
 * So a quantile is an estimate, good to within its bucket.
 */
import type { Client } from './http.js';

export interface Histogram {
  /** Cumulative counts by upper bound (seconds), ascending, +Inf last. */
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

/** The server's /metrics text (public route). */
export async function scrape(client: Client): Promise<string> {
  const res = await client.request('GET', '/metrics');
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return res.text;
}

export function histogramOf(text: string, name: string): Histogram {
  const buckets: Histogram['buckets'] = [];
  let sum = NaN;
  let count = NaN;
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}`).exec(line);
    if (le) buckets.push({ le: le[1] === '+Inf' ? Infinity : Number(le[1]), count: value });
    else if (line.startsWith(`${name}_sum `)) sum = value;
    else if (line.startsWith(`${name}_count `)) count = value;
  }
  if (!buckets.length || Number.isNaN(count)) throw new Error(`histogram ${name} not found in /metrics`);
  return { buckets: buckets.sort((a, b) => a.le - b.le), sum, count };
}

/** An unlabelled gauge or counter; NaN if absent. */
export function gaugeOf(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

/** What was observed between two readings of one histogram. */
export function diff(after: Histogram, before: Histogram): Histogram {
  return {
    buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - (before.buckets[i]?.count ?? 0) })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** histogram_quantile(q, h) in seconds; `overflow` when the rank fell in the +Inf bucket. */
export function quantile(h: Histogram, q: number): { seconds: number; overflow: boolean } {
  if (h.count === 0) return { seconds: NaN, overflow: false };
  const rank = q * h.count;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return { seconds: lowerLe, overflow: true };
      return { seconds: lowerLe + ((b.le - lowerLe) * (rank - lowerCount)) / (b.count - lowerCount || 1), overflow: false };
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return { seconds: lowerLe, overflow: true };
}

/** Share (0..1) of observations above `le`, which must be a bucket bound: exact, no interpolation. */
export function shareAbove(h: Histogram, le: number): number {
  const b = h.buckets.find((x) => x.le === le);
  if (!b) throw new Error(`no bucket le=${le}`);
  return h.count ? 1 - b.count / h.count : NaN;
}
