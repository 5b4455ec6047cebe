/**
 * GET /api/v1/alarms: latency (sequential requests from this process) and
 * throughput (autocannon in a worker thread), for the cached page and for
 * URLs chosen so that every request misses the server's response cache.
 *
 * The cache (src/api/response-cache.ts) keeps 256 rendered pages keyed on the
 * exact URL, evicting the oldest first. Rotating through more distinct URLs
 * than that, in a fixed order, means each URL was evicted before it comes
 * round again; the server's own SELECT count confirms it per phase.
 */
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Client } from './http.js';
import { percentile } from './report.js';

export const LIST_PATH = '/api/v1/alarms?limit=100';

/** Walks the listing page by page; returns every page's path (first page first) and the rows seen. */
export async function walkPages(client: Client, maxPages: number): Promise<{ paths: string[]; rows: number; seconds: number }> {
  const paths = [LIST_PATH];
  let rows = 0;
  const started = performance.now();
  for (;;) {
    const page = await client.json<{ items: unknown[]; next_cursor: string | null }>('GET', paths[paths.length - 1]!);
    rows += page.items.length;
    if (!page.next_cursor || paths.length >= maxPages) break;
    paths.push(`${LIST_PATH}&cursor=${page.next_cursor}`);
  }
  return { paths, rows, seconds: (performance.now() - started) / 1000 };
}

/**
 * The first page under many distinct URLs: `limit=0100`, `limit=00100` ...
 * are all limit 100 to the validator (query strings are coerced to integers)
 * but different cache keys. This isolates the cost of a miss on the page
 * every dashboard asks for from the cost of deep keyset pages.
 */
export const firstPageVariants = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `/api/v1/alarms?limit=${'0'.repeat(i + 1)}100`);

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  requests: number;
  /** Server-side SELECTs per measured request: ~0 for cache hits, ~1 for misses. */
  selectsPerRequest: number;
}

/** One request at a time, round-robin over `paths`; warm-up requests continue the same rotation. */
export async function sequentialLatency(
  client: Client,
  paths: readonly string[],
  options: { warmup: number; requests: number; headers?: Record<string, string>; expectStatus?: number },
): Promise<Latency> {
  const expectStatus = options.expectStatus ?? 200;
  let n = 0;
  const one = async () => {
    const path = paths[n++ % paths.length]!;
    const t0 = performance.now();
    const res = await client.request('GET', path, undefined, options.headers);
    const ms = performance.now() - t0;
    if (res.status !== expectStatus) throw new Error(`GET ${path.slice(0, 80)} answered ${res.status}, expected ${expectStatus}: ${res.text.slice(0, 200)}`);
    return ms;
  };
  for (let i = 0; i < options.warmup; i++) await one();
  const before = await client.selectCount();
  const samples: number[] = [];
  for (let i = 0; i < options.requests; i++) samples.push(await one());
  const selects = (await client.selectCount()) - before;
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
    requests: samples.length,
    selectsPerRequest: selects / samples.length,
  };
}

export interface Throughput {
  requestsPerSecond: number;
  p99: number;
  selectsPerRequest: number;
}

const ROTATE = fileURLToPath(new URL('./rotate-path.cjs', import.meta.url));

/**
 * autocannon in one worker thread, so the load generator has its own core and
 * does not share the server's event loop (the machine may have only two).
 */
export async function autocannonRun(
  client: Client,
  paths: readonly string[],
  options: { connections: number; seconds: number },
): Promise<Throughput> {
  const before = await client.selectCount();
  const result = await autocannon({
    url: client.baseUrl,
    connections: options.connections,
    duration: options.seconds,
    workers: 1,
    headers: client.authorization,
    requests: paths.length === 1 ? [{ method: 'GET', path: paths[0]! }] : [{ method: 'GET', path: paths[0]!, setupRequest: ROTATE, rotation: [...paths] }],
  });
  const selects = (await client.selectCount()) - before;
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(`autocannon ${paths[0]}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  return {
    requestsPerSecond: result.requests.average,
    p99: result.latency.p99,
    selectsPerRequest: selects / Math.max(1, result.requests.total),
  };
}
