/**
 * Fault-management benchmark: batched raise/clear throughput and alarm-list
 * latency and throughput, on SQLite and on PostgreSQL, in one run.
 *
 *   npm run bench:fm            (PostgreSQL at STARLING_BENCH_DATABASE_URL,
 *                                default postgres://postgres@127.0.0.1:5432/test)
 *
 * Everything goes over real HTTP (loopback) to a controller started in this
 * process from dist/. The sequential clients share the server's event loop,
 * so their latencies include a little client time; autocannon runs in a
 * worker thread. Missed targets are reported, not failed: the exit code is
 * non-zero only when the benchmark itself goes wrong.
 */
import os from 'node:os';
import { startBackend, runCleanups, type Backend } from './lib/backends.js';
import { clearBodies, raiseBodies, runBatches } from './lib/batches.js';
import { autocannonRun, firstPageVariants, LIST_PATH, sequentialLatency, walkPages } from './lib/list.js';
import { fmt, printTable, verdict, type Row } from './lib/report.js';

const ALARMS = 100_000;
const PER_REQUEST = 1_000;
const LATENCY = { warmup: 200, requests: 2_000 };
/** More distinct URLs than the response cache's 256 entries, so each evicts another. */
const UNCACHED_ROTATION = 1_000;
const LOAD = { connections: 10, seconds: 5 };
const TARGETS = { alarmsPerSecond: 20_000, listP99Ms: 20, listToHealthz: 0.25 } as const;

const log = (message: string) => console.log(`  ${message}`);

async function benchBackend(backend: Backend): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (r: Omit<Row, 'backend'>) => rows.push({ backend: backend.name, ...r });
  const { client } = backend;
  const raises = raiseBodies(ALARMS, PER_REQUEST);
  const clears = clearBodies(ALARMS, PER_REQUEST);

  // 1. Batched raise then clear, one request in flight: what one agent or subcloud link sees.
  for (const [label, payloads, expect] of [
    ['raise', raises, 'created'],
    ['clear', clears, 'cleared'],
  ] as const) {
    backend.setPhase(`batch ${label}`);
    const r = await runBatches(client, payloads, 1, expect);
    log(`${label}: ${ALARMS.toLocaleString('en-US')} alarms in ${r.seconds.toFixed(2)} s; per request p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`);
    row({
      measure: `batch ${label}, ${PER_REQUEST}/request, 1 in flight`,
      value: r.alarmsPerSecond,
      unit: 'alarms/s',
      target: { op: '>=', value: TARGETS.alarmsPerSecond },
      note: `request p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`,
    });
  }

  // 2. Refill to 100,000 active alarms, two in flight this time (information: does overlap help?).
  backend.setPhase('batch raise (refill)');
  const refill = await runBatches(client, raises, 2, 'created');
  log(`refill: ${fmt(refill.alarmsPerSecond)} alarms/s with 2 in flight`);
  row({ measure: `batch raise, ${PER_REQUEST}/request, 2 in flight`, value: refill.alarmsPerSecond, unit: 'alarms/s', note: 'refill for the list phases' });

  // Walking every page once both checks the listing and collects the cursors for the uncached rotation.
  backend.setPhase('page walk');
  const walk = await walkPages(client, UNCACHED_ROTATION);
  if (walk.rows !== ALARMS) throw new Error(`walking the listing saw ${walk.rows} alarms, expected ${ALARMS}`);
  log(`walked ${walk.paths.length} pages (${walk.rows.toLocaleString('en-US')} alarms) in ${walk.seconds.toFixed(2)} s`);
  const deepPages = walk.paths;
  const firstPages = firstPageVariants(UNCACHED_ROTATION);

  // 3. Latency, one request at a time.
  const latencyCases: Array<[label: string, paths: readonly string[]]> = [
    ['cached: same query repeated (cache hits)', [LIST_PATH]],
    ['UNCACHED: first page, distinct URLs', firstPages],
    ['UNCACHED: pages 1-1000 by cursor, round robin', deepPages],
  ];
  for (const [label, paths] of latencyCases) {
    backend.setPhase(`latency, ${label}`);
    const l = await sequentialLatency(client, paths, LATENCY);
    log(`${label}: p50 ${fmt(l.p50)} ms, p99 ${fmt(l.p99)} ms, max ${fmt(l.max)} ms, ${fmt(l.selectsPerRequest)} SELECT/request`);
    row({
      measure: `list p99, ${label}`,
      value: l.p99,
      unit: 'ms',
      target: { op: '<=', value: TARGETS.listP99Ms },
      note: `p50 ${fmt(l.p50)} ms, max ${fmt(l.max)} ms, ${fmt(l.selectsPerRequest)} SELECT/req`,
    });
  }
  // Pollers that send If-None-Match get a 304 without a body: information only.
  backend.setPhase('latency, If-None-Match');
  const etag = (await client.request('GET', LIST_PATH)).headers.etag as string;
  const conditional = await sequentialLatency(client, [LIST_PATH], { ...LATENCY, headers: { 'if-none-match': etag }, expectStatus: 304 });
  row({ measure: 'list p99, If-None-Match (304)', value: conditional.p99, unit: 'ms', note: `p50 ${fmt(conditional.p50)} ms` });

  // 4. Throughput against the HTTP ceiling of the same server.
  backend.setPhase('autocannon /healthz');
  for (let i = 0; i < 500; i++) await client.request('GET', '/healthz'); // JIT warm-up; the list routes are warm already
  const ceiling = await autocannonRun(client, ['/healthz'], LOAD);
  log(`GET /healthz: ${fmt(ceiling.requestsPerSecond)} req/s`);
  row({ measure: `GET /healthz, ${LOAD.connections} conns, ${LOAD.seconds} s`, value: ceiling.requestsPerSecond, unit: 'req/s', note: 'the HTTP ceiling' });
  for (const [label, paths] of latencyCases) {
    backend.setPhase(`autocannon, ${label}`);
    const t = await autocannonRun(client, paths, LOAD);
    log(`${label}: ${fmt(t.requestsPerSecond)} req/s, p99 ${fmt(t.p99)} ms, ${fmt(t.selectsPerRequest)} SELECT/request`);
    row({
      measure: `list/healthz req/s, ${label}`,
      value: t.requestsPerSecond / ceiling.requestsPerSecond,
      unit: 'x',
      target: { op: '>=', value: TARGETS.listToHealthz },
      note: `${fmt(t.requestsPerSecond)} req/s, p99 ${fmt(t.p99)} ms, ${fmt(t.selectsPerRequest)} SELECT/req`,
    });
  }

  // 5. Clear everything again, two in flight (information, and leaves the database empty).
  backend.setPhase('batch clear (drain)');
  const drain = await runBatches(client, clears, 2, 'cleared');
  row({ measure: `batch clear, ${PER_REQUEST}/request, 2 in flight`, value: drain.alarmsPerSecond, unit: 'alarms/s' });

  backend.setPhase('done');
  // A prune is one big DELETE; on SQLite it blocks the event loop, skewing whatever phase it lands in.
  for (const p of backend.prunes) {
    row({ measure: 'event-log prune ran', value: p.removed, unit: 'rows', note: `during "${p.phase}" (longest event-loop stall there ${fmt(backend.stallMs(p.phase))} ms)` });
  }
  return rows;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log('Starling fault-management benchmark');
  console.log(`  machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}`);
  console.log(`  node ${process.version}; server and sequential client in this process, autocannon in a worker thread; loopback HTTP`);
  console.log(`  ${ALARMS.toLocaleString('en-US')} alarms (100.104), ${PER_REQUEST} per batch request; list latency over ${LATENCY.requests} sequential requests after ${LATENCY.warmup} warm-up`);
  console.log(`  uncached rotations: ${UNCACHED_ROTATION} distinct URLs (response cache holds 256); SELECT/req from the server's /metrics confirms hits (~0) vs misses (~1)`);

  const rows: Row[] = [];
  for (const kind of ['sqlite', 'postgres'] as const) {
    const backend = await startBackend(kind);
    console.log(`\n${backend.name}: ${backend.detail}`);
    try {
      rows.push(...(await benchBackend(backend)));
    } finally {
      await backend.close();
    }
  }

  console.log('');
  printTable(rows);
  const judged = rows.filter((r) => r.target);
  const missed = judged.filter((r) => verdict(r) === 'MISS');
  console.log(`\n${judged.length - missed.length} of ${judged.length} targets met${missed.length ? `; missed: ${missed.map((r) => `${r.backend} ${r.measure}`).join('; ')}` : ''}`);
}

// Ctrl-C still drops the schema and the temp dir.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void runCleanups().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (err) {
  console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await runCleanups();
}
