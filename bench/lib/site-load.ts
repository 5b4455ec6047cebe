/**
 * Part 2: one controller with 2,000 agents at the default report interval.
 * The agents are simulated (site-swarm.ts) in a child process over real
 * HTTP; the controller is `starling serve` in another. Once all are up and
 * long polling, over a window: the server's report handling histogram,
 * reports/s, the controller's CPU and RSS from /proc, and the round trip of
 * short (wait_ms 0) probe reports; at the end, how many hosts are online.
 */
import { Client } from './http.js';
import { percentile, fmt, type Row } from './report.js';
import { diff, gaugeOf, histogramOf, quantile, scrape, shareAbove } from './site-metrics.js';
import { ADMIN_PASSWORD, onCleanup, sleep, spawnNode, startServe, watchProcess, type Proc } from './site-procs.js';
import type { FromSwarm, ToSwarm } from './site-swarm.js';

export const LOAD = { agents: 2_000, intervalMs: 20_000, windowMs: 60_000, settleMs: 3_000, probePerSecond: 5 } as const;
const TARGETS = { p99Ms: 20 } as const;
const HISTOGRAM = 'starling_agent_report_handling_seconds';
const SWARM = new URL('./site-swarm.ts', import.meta.url).pathname;
const SCENARIO = `${LOAD.agents.toLocaleString('en-US')} agents`;

const log = (message: string) => console.log(`  ${message}`);

/** The swarm child with a typed IPC channel: `next(type)` waits for that message (or fails if the swarm does). */
export function startSwarm(): Proc & { send: (m: ToSwarm) => void; next: <T extends FromSwarm['type']>(type: T, timeoutMs: number) => Promise<Extract<FromSwarm, { type: T }>> } {
  const proc = spawnNode('swarm', ['--import', import.meta.resolve('tsx'), SWARM], {}, ['ipc']);
  return {
    ...proc,
    send: (m) => proc.child.send(m),
    next: (type, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`swarm: no "${type}" within ${timeoutMs / 1000} s\n${proc.output()}`)), timeoutMs);
        const onMessage = (m: FromSwarm) => {
          if (m.type === type) finish(undefined, m);
          else if (m.type === 'failed') finish(new Error(`swarm failed: ${m.message}`));
        };
        const onExit = () => finish(new Error(`swarm exited:\n${proc.output()}`));
        const finish = (err?: Error, m?: FromSwarm) => {
          clearTimeout(timer);
          proc.child.off('message', onMessage);
          proc.child.off('exit', onExit);
          if (err) reject(err);
          else resolve(m as Extract<FromSwarm, { type: typeof type }>);
        };
        proc.child.on('message', onMessage);
        proc.child.once('exit', onExit);
      }),
  };
}

export async function siteOf2000(): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (r: Omit<Row, 'backend'>) => rows.push({ backend: SCENARIO, ...r });

  // STARLING_BENCH_CPU_PROF=<dir> profiles the controller; the .cpuprofile is written there when it exits.
  const profDir = process.env.STARLING_BENCH_CPU_PROF;
  // No per-address cap: the swarm's 2,000 agents all connect from 127.0.0.1.
  const serve = await startServe('site-controller', profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [], ['--max-connections-per-address', '0']);
  const client = new Client(serve.url, 4, serve.ca);
  onCleanup('close the admin client', () => client.close());
  await client.login('admin', ADMIN_PASSWORD);
  log(`controller pid ${serve.pid} at ${serve.url}${profDir ? `, CPU profile to ${profDir}` : ''}`);

  // Hosts one POST at a time, as a provisioning script would.
  // Times of the first and last 200 adds show whether an add's cost grows with the hosts already there.
  const t0 = performance.now();
  const hosts: Array<{ hostname: string; token: string }> = [];
  const at: number[] = [];
  for (let i = 0; i < LOAD.agents; i++) {
    const hostname = `worker-${i}`;
    const { enroll_token } = await client.json<{ enroll_token: string }>('POST', '/api/v1/hosts', { hostname, personality: 'worker' }, 201);
    hosts.push({ hostname, token: enroll_token });
    at.push(performance.now());
  }
  const addSeconds = (performance.now() - t0) / 1000;
  const n = LOAD.agents;
  const edge = Math.min(200, Math.floor(n / 2));
  const firstRate = (edge / (at[edge - 1]! - t0)) * 1000;
  const lastRate = (edge / (at[n - 1]! - at[n - 1 - edge]!)) * 1000;
  log(`added ${LOAD.agents} hosts in ${addSeconds.toFixed(1)} s`);
  row({
    measure: 'host add, sequential POST /api/v1/hosts',
    value: LOAD.agents / addSeconds,
    unit: 'hosts/s',
    note: `${LOAD.agents} in ${addSeconds.toFixed(1)} s; first ${edge}: ${fmt(firstRate)}/s, last ${edge}: ${fmt(lastRate)}/s`,
  });

  const swarm = startSwarm();
  swarm.send({ type: 'start', url: serve.url, ...(serve.ca ? { ca: serve.ca } : {}), hosts, intervalMs: LOAD.intervalMs, staggerMs: LOAD.intervalMs });
  const enrolled = await swarm.next('enrolled', 120_000);
  log(`swarm pid ${swarm.pid}: ${LOAD.agents} agents enrolled in ${enrolled.seconds.toFixed(1)} s; starting them over ${LOAD.intervalMs / 1000} s`);
  const up = await swarm.next('up', LOAD.intervalMs + 60_000);
  log(`all up (first reply) ${up.seconds.toFixed(1)} s after the first start; settling ${LOAD.settleMs / 1000} s`);
  await sleep(LOAD.settleMs);

  log(`measuring for ${LOAD.windowMs / 1000} s, probe ${LOAD.probePerSecond} short reports/s`);
  const snapshot = async () => (swarm.send({ type: 'snapshot' }), swarm.next('snapshot', 10_000));
  // This scrape also resets prom-client's event-loop delay monitor, so the next one covers the window.
  const h0 = histogramOf(await scrape(client), HISTOGRAM);
  const s0 = await snapshot();
  const monotonicStart = process.hrtime.bigint() / 1000n;
  const controllerWatch = watchProcess(serve.pid);
  const swarmWatch = watchProcess(swarm.pid);
  swarm.send({ type: 'probe', perSecond: LOAD.probePerSecond });
  await sleep(LOAD.windowMs);
  swarm.send({ type: 'probe', perSecond: 0 });
  const controller = controllerWatch.end();
  const swarmProc = swarmWatch.end();
  const metrics = await scrape(client);
  const h = diff(histogramOf(metrics, HISTOGRAM), h0);
  const s1 = await snapshot();
  const seconds = controller.seconds;
  // V8 stamps profile samples on the same monotonic clock (µs): this is how to cut the window out of the profile.
  if (profDir) log(`window on the monotonic clock: ${monotonicStart}..${process.hrtime.bigint() / 1000n} µs`);

  const p50 = quantile(h, 0.5);
  const p99 = quantile(h, 0.99);
  const over = (q: { overflow: boolean }) => (q.overflow ? ' (in the +Inf bucket: at least this)' : '');
  const ms = (s: number) => s * 1000;
  log(`server: ${h.count} reports, handling p50 ${fmt(ms(p50.seconds))} ms, p99 ${fmt(ms(p99.seconds))} ms, mean ${fmt(ms(h.sum / h.count))} ms`);
  row({
    measure: 'report handling p99 (server histogram)',
    value: ms(p99.seconds),
    unit: 'ms',
    target: { op: '<=', value: TARGETS.p99Ms },
    note: `histogram_quantile-style interpolation${over(p99)}; ${(shareAbove(h, 0.02) * 100).toFixed(2)} % of reports > 20 ms (exact, bucket bound)`,
  });
  row({ measure: 'report handling p50 (server histogram)', value: ms(p50.seconds), unit: 'ms', note: `interpolated${over(p50)}; mean ${fmt(ms(h.sum / h.count))} ms (histogram sum/count)` });
  row({
    measure: 'reports handled/s (server histogram count)',
    value: h.count / seconds,
    unit: 'reports/s',
    note: `${LOAD.agents} agents / ${LOAD.intervalMs / 1000} s = ${LOAD.agents / (LOAD.intervalMs / 1000)}/s long polls + ${LOAD.probePerSecond}/s probes`,
  });
  const replies = s1.replies - s0.replies;
  const errors = s1.errors - s0.errors;
  row({ measure: 'long-poll replies/s (client side)', value: replies / seconds, unit: 'replies/s', note: `${errors} errors in window${s1.lastError ? `; last: ${s1.lastError.slice(0, 120)}` : ''}` });
  const probes = s1.probeMs;
  row({
    measure: 'probe round trip p99, wait_ms=0 (client)',
    value: percentile(probes, 99),
    unit: 'ms',
    note: `${probes.length} probes, p50 ${fmt(percentile(probes, 50))} ms, max ${fmt(Math.max(...probes))} ms; loopback, keep-alive; adds HTTP, auth and body validation, which the histogram leaves out`,
  });
  row({ measure: 'controller CPU (utime+stime)', value: controller.cpuPct, unit: '% core', note: `over ${seconds.toFixed(1)} s; ${fmt((controller.cpuPct * 10) / (h.count / seconds))} ms CPU per report` });
  row({
    measure: 'controller event-loop delay, max over window',
    value: gaugeOf(metrics, 'starling_nodejs_eventloop_lag_max_seconds') * 1000,
    unit: 'ms',
    note: `prom-client monitor (10 ms resolution); p99 ${fmt(gaugeOf(metrics, 'starling_nodejs_eventloop_lag_p99_seconds') * 1000)} ms`,
  });
  row({ measure: 'controller RSS, max over window', value: controller.rssMaxMb, unit: 'MB', note: `end ${controller.rssEndMb.toFixed(1)} MB, peak since start (VmHWM) ${controller.hwmMb.toFixed(1)} MB` });
  row({ measure: 'swarm (client) CPU', value: swarmProc.cpuPct, unit: '% core', note: `RSS ${swarmProc.rssEndMb.toFixed(0)} MB; separate process, for context` });

  // Every host online at the end: the heartbeat monitor and the reports agree nobody was lost.
  // The list is paginated: walk every page (1,000 per page).
  const t1 = performance.now();
  const items: Array<{ hostname: string; availability: string }> = [];
  let pages = 0;
  let bytes = 0;
  for (let cursor: string | null = null; ; ) {
    const list = await client.request('GET', `/api/v1/hosts?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (list.status !== 200) throw new Error(`GET /api/v1/hosts answered ${list.status}`);
    const page = JSON.parse(list.text) as { items: Array<{ hostname: string; availability: string }>; next_cursor: string | null };
    items.push(...page.items.filter((x) => x.hostname.startsWith('worker-')));
    pages++;
    bytes += list.text.length;
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  const listMs = performance.now() - t1;
  const byState = new Map<string, number>();
  for (const x of items) byState.set(x.availability, (byState.get(x.availability) ?? 0) + 1);
  const online = byState.get('online') ?? 0;
  log(`hosts: ${[...byState].map(([k, v]) => `${v} ${k}`).join(', ')}`);
  row({
    measure: 'hosts online at end (GET /api/v1/hosts)',
    value: online,
    unit: 'hosts',
    target: { op: '>=', value: LOAD.agents },
    note: `${[...byState].map(([k, v]) => `${v} ${k}`).join(', ')}; ${pages} pages took ${fmt(listMs)} ms, ${(bytes / 2 ** 20).toFixed(1)} MiB`,
  });
  return rows;
}
