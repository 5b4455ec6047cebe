/**
 * Slow-client flood benchmark: does a controller keep answering while an
 * attacker holds thousands of connections open?
 *
 *   npm run bench:flood        (~2 minutes)
 *
 * One `starling serve` (HTTPS, SQLite, default limits: 10 s for headers,
 * 300 s for a whole request, 256 connections per address). A normal client
 * (4 keep-alive connections: /healthz and a page of alarms, back to back)
 * is measured first alone, then while a separate attacker process
 * (lib/flood-child.mjs) holds, and reopens a second after each close:
 *
 * - 3,000 slow-body connections from one address: the cap keeps 256;
 * - 3,000 slow-body connections spread over 12 addresses, 250 each, all
 *   under the cap, so all are held (the worst case the cap allows);
 * - 1,000 slow-header connections over 4 addresses, cut by the headers
 *   timeout.
 *
 * Figures: the share of the normal client's requests answered with 200
 * within 5 s, their p50/p99 against the baseline, how long the slow-header
 * connections lived, what the cap refused, the controller's CPU and RSS.
 * Missed targets are reported, not failed.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { Client } from './lib/http.js';
import { percentile, printTable, type Row } from './lib/report.js';
import { ADMIN_PASSWORD, onCleanup, runCleanups, sleep, startServe, watchProcess } from './lib/site-procs.js';

const BASELINE_MS = 15_000;
const FLOOD_MS = 40_000;
const RAMP_MS = 20_000;
const ANSWER_WITHIN_MS = 5_000;
const PLAN = [
  { kind: 'slow-body', address: '127.0.3.1', count: 3000 },
  ...Array.from({ length: 12 }, (_, i) => ({ kind: 'slow-body', address: `127.0.4.${i + 1}`, count: 250 })),
  ...Array.from({ length: 4 }, (_, i) => ({ kind: 'slow-headers', address: `127.0.5.${i + 1}`, count: 250 })),
];

interface Stats {
  type: 'stats';
  opened: number;
  held: number;
  refusedBeforeHandshake: number;
  cutAfterHandshake: number;
}

interface Sampled {
  sent: number;
  answered: number;
  latencies: number[];
}

/** The normal client: `loops` back-to-back requests for `ms`; answered means 200 within ANSWER_WITHIN_MS. */
async function normalTraffic(client: Client, ms: number): Promise<Record<'healthz' | 'alarms', Sampled>> {
  const result = { healthz: { sent: 0, answered: 0, latencies: [] as number[] }, alarms: { sent: 0, answered: 0, latencies: [] as number[] } };
  const end = performance.now() + ms;
  const loop = async (which: 'healthz' | 'alarms', path: string) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      result[which].sent++;
      const status = await Promise.race([client.request('GET', path).then((r) => r.status, () => 0), sleep(ANSWER_WITHIN_MS).then(() => -1)]);
      const took = performance.now() - t0;
      if (status === 200) {
        result[which].answered++;
        result[which].latencies.push(took);
      }
    }
  };
  await Promise.all([loop('healthz', '/healthz'), loop('healthz', '/healthz'), loop('alarms', '/api/v1/alarms?limit=50'), loop('alarms', '/api/v1/alarms?limit=50')]);
  return result;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log('Starling slow-client flood benchmark');
  console.log(`  machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM; node ${process.version}`);
  const serve = await startServe('flood');
  const client = new Client(serve.url, 4, serve.ca);
  await client.login('admin', ADMIN_PASSWORD);
  const raise = Array.from({ length: 200 }, (_, i) => ({ alarm_id: '100.101', entity_instance_id: `host=worker-${i}`, severity: 'major', reason_text: 'flood bench' }));
  await client.json('POST', '/api/v1/alarms/batch', { raise });

  console.log(`\n1. Baseline: the normal client alone for ${BASELINE_MS / 1000} s`);
  const baseline = await normalTraffic(client, BASELINE_MS);

  const attackers = PLAN.reduce((n, p) => n + p.count, 0);
  console.log(`2. Flood: ${attackers.toLocaleString('en-US')} attacking connections from ${PLAN.length} addresses, ramped over ${RAMP_MS / 1000} s, then ${FLOOD_MS / 1000} s measured`);
  const child = fork(new URL('./lib/flood-child.mjs', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  onCleanup('stop the attacker', () => void child.kill('SIGKILL'));
  let stats: Stats | undefined;
  child.on('message', (m: Stats | { type: string }) => {
    if (m.type === 'stats') stats = m as Stats;
  });
  child.send({ type: 'start', port: Number(new URL(serve.url).port), ca: serve.ca, plan: PLAN, openPerSecond: attackers / (RAMP_MS / 1000) });
  await sleep(RAMP_MS);
  console.log(`   after the ramp: ${stats?.held ?? 0} held, ${stats?.refusedBeforeHandshake ?? 0} refused on arrival so far`);
  const cpu = watchProcess(serve.pid);
  const refusedBefore = stats?.refusedBeforeHandshake ?? 0;
  let heldMin = Infinity;
  let heldMax = 0;
  const sampler = setInterval(() => {
    heldMin = Math.min(heldMin, stats?.held ?? 0);
    heldMax = Math.max(heldMax, stats?.held ?? 0);
  }, 1000);
  const flood = await normalTraffic(client, FLOOD_MS);
  clearInterval(sampler);
  const controller = cpu.end();
  const refusedDuring = (stats?.refusedBeforeHandshake ?? 0) - refusedBefore;
  const stopped = await new Promise<{ lifetimes: Record<string, number[]> }>((resolve) => {
    child.on('message', (m: { type: string; lifetimes?: Record<string, number[]> }) => m.type === 'stopped' && resolve(m as { lifetimes: Record<string, number[]> }));
    child.send({ type: 'stop' });
  });
  const metrics = (await client.request('GET', '/metrics')).text;
  const refusedByServer = Number(/^starling_connections_refused_total (\d+)/m.exec(metrics)?.[1] ?? NaN);
  const headerLives = stopped.lifetimes['slow-headers'] ?? [];

  const rows: Row[] = [];
  const share = (s: Sampled) => (s.sent ? (s.answered / s.sent) * 100 : 0);
  for (const which of ['healthz', 'alarms'] as const) {
    const label = which === 'healthz' ? 'GET /healthz' : 'GET /api/v1/alarms?limit=50';
    const b = baseline[which];
    const f = flood[which];
    rows.push({ backend: label, measure: 'answered (200 within 5 s) under flood', value: share(f), unit: '%', target: { op: '>=', value: 99.9 }, note: `${f.answered.toLocaleString('en-US')} of ${f.sent.toLocaleString('en-US')}; baseline ${share(b).toFixed(1)} %` });
    rows.push({ backend: label, measure: 'requests/s: baseline → flood', value: f.answered / (FLOOD_MS / 1000), unit: '/s', note: `baseline ${(b.answered / (BASELINE_MS / 1000)).toFixed(0)}/s (${((f.answered / FLOOD_MS / (b.answered / BASELINE_MS)) * 100).toFixed(0)} % of it)` });
    rows.push({ backend: label, measure: 'p50 under flood', value: percentile(f.latencies, 50), unit: 'ms', note: `baseline ${percentile(b.latencies, 50).toFixed(2)} ms` });
    rows.push({ backend: label, measure: 'p99 under flood', value: percentile(f.latencies, 99), unit: 'ms', target: { op: '<=', value: 250 }, note: `baseline ${percentile(b.latencies, 99).toFixed(2)} ms` });
  }
  rows.push({ backend: 'attacker', measure: 'slow-header connection lifetime, p99', value: percentile(headerLives, 99) / 1000, unit: 's', target: { op: '<=', value: 12 }, note: `${headerLives.length} cut; median ${(percentile(headerLives, 50) / 1000).toFixed(1)} s (headers timeout 10 s, swept every 1 s)` });
  rows.push({ backend: 'attacker', measure: 'connections held during the measured window', value: heldMax, unit: '', note: `min ${heldMin}; of ${attackers.toLocaleString('en-US')} attempted (the cap allows 256 per address)` });
  rows.push({ backend: 'attacker', measure: 'refused on arrival by the per-address cap', value: refusedDuring / (FLOOD_MS / 1000), unit: '/s', note: `server counter starling_connections_refused_total ${refusedByServer.toLocaleString('en-US')} in all` });
  rows.push({ backend: 'controller', measure: 'CPU under flood', value: controller.cpuPct, unit: '% of a core' });
  rows.push({ backend: 'controller', measure: 'RSS under flood (max)', value: controller.rssMaxMb, unit: 'MB' });
  console.log('');
  printTable(rows, 'Subject');
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(runCleanups);
