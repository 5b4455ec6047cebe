/**
 * Distributed cloud benchmark: one system controller (`starling serve`, its
 * own process) and 10,000 simulated subclouds (the product's fleet
 * simulator, in four child processes over real HTTP), first on PostgreSQL,
 * then on SQLite.
 *
 *   npm run bench:dc              (~25 minutes)
 *   STARLING_BENCH_DC_SUBCLOUDS=2000 npm run bench:dc   (a quicker look)
 *   STARLING_BENCH_DC_RUNS=postgres:tls npm run bench:dc (one run)
 *   STARLING_BENCH_DC_RUNS='sqlite:tls:leo;sqlite:tls:satellite,flap=13s/2s'
 *     npm run bench:dc  (every link behind that WAN profile: a soak of
 *     STARLING_BENCH_DC_SOAK_MINUTES, default 10, counting offline marks)
 *   STARLING_BENCH_DC_ENROLL_ONLY=1 … (stop after enrollment)
 *   STARLING_BENCH_DC_CONCURRENCY=N … (enrollments in flight per simulator
 *   process, default 64: 256 at once, a fleet coming up together; at 16 the
 *   simulators' own pool, not the controller, bounded the enrollment)
 *   STARLING_BENCH_CPU_PROF=<dir>, STARLING_BENCH_SIM_CPU_PROF=<dir> (profile
 *   the controller, the simulators; .cpuprofile files written at exit)
 *
 * Runs (STARLING_BENCH_DC_RUNS, default postgres:tls;sqlite:tls;sqlite:plain):
 * a backend, a transport and a WAN profile (default lan). `tls` is the default product: HTTPS, every
 * subcloud pinning the system controller's CA and reporting over mutual
 * TLS; `plain` is --insecure-http, run beside it so that what TLS costs is
 * measured in the same run (handshakes per second during the reconnect
 * storm, steady CPU and RSS).
 *
 * Per backend:
 * 1. add 10,000 subclouds through the API (the operator's step, info), then
 *    enroll them all at once: time until every one is online;
 * 2. steady state over 60 s: controller CPU and RSS from /proc, p99 of
 *    GET /subclouds (pages of 100) and of the fleet alarm summary;
 * 3. 10 % of the links cut at once: offline detection latency p99, from
 *    the cut to each subcloud's offline transition (its updated_at);
 * 4. every link cut; once all are offline, all restored at once: time
 *    until every subcloud is online again.
 *
 * Online/offline counts are read from the controller's database directly
 * (read-only), so the measurement adds no load to its API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Client } from './lib/http.js';
import { printResults, runBench } from './lib/run-bench.js';
import { benchSchema } from './lib/pg-schema.js';
import { fmt, percentile, type Row } from './lib/report.js';
import { ADMIN_PASSWORD, cpuSecondsOfCommand, onCleanup, runCleanups, sleep, startServe, watchProcess } from './lib/site-procs.js';
import { startSim, type SimChild } from './lib/sim-child.js';

const N = Number(process.env.STARLING_BENCH_DC_SUBCLOUDS ?? 10_000);
const SIMS = 4;
/** Enrollments in flight per simulator process (STARLING_BENCH_DC_CONCURRENCY; default the simulator child's, 64). */
const CONCURRENCY = Number(process.env.STARLING_BENCH_DC_CONCURRENCY ?? 0) || undefined;
const TARGETS = { onlineS: 120, cpuPct: 50, rssMb: 1536, p99Ms: 200, detectP99S: 60, recoverS: 120 };
const log = (m: string) => console.log(`  ${m}`);

interface Counter {
  online(): Promise<number>;
  offlineAt(names: string[]): Promise<Map<string, number>>;
  /** 280.001 raised (subcloud offline) since `sinceMs`, from the event log. */
  offlineRaises(sinceMs: number): Promise<number>;
  close(): Promise<void>;
}

async function pgCounter(url: string): Promise<Counter> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    online: async () => Number((await client.query(`select count(*) as n from subclouds where availability_status = 'online'`)).rows[0].n),
    offlineAt: async (names) => {
      const rows = (await client.query(`select name, updated_at from subclouds where availability_status = 'offline' and name = any($1)`, [names])).rows as Array<{ name: string; updated_at: string }>;
      return new Map(rows.map((r) => [r.name, Number(r.updated_at)]));
    },
    offlineRaises: async (since) => Number((await client.query(`select count(*) as n from event_log where alarm_id = '280.001' and alarm_state = 'set' and timestamp >= $1`, [since])).rows[0].n),
    close: () => client.end(),
  };
}

function sqliteCounter(path: string): Counter {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const online = db.prepare(`select count(*) as n from subclouds where availability_status = 'online'`);
  const raises = db.prepare(`select count(*) as n from event_log where alarm_id = '280.001' and alarm_state = 'set' and timestamp >= ?`);
  return {
    online: async () => (online.get() as { n: number }).n,
    offlineAt: async (names) => {
      const rows = db.prepare(`select name, updated_at from subclouds where availability_status = 'offline' and name in (select value from json_each(?))`).all(JSON.stringify(names)) as Array<{ name: string; updated_at: number }>;
      return new Map(rows.map((r) => [r.name, r.updated_at]));
    },
    offlineRaises: async (since) => (raises.get(since) as { n: number }).n,
    close: async () => void db.close(),
  };
}

/** Polls `probe` until true; with `progress`, prints what it says every 10 s (how the wait went, not only its end). */
async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, progress?: () => Promise<string>): Promise<number> {
  const t0 = performance.now();
  let nextReport = 10_000;
  while (!(await probe())) {
    const elapsed = performance.now() - t0;
    if (elapsed > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    if (progress && elapsed >= nextReport) {
      log(`  ${(elapsed / 1000).toFixed(0)} s: ${await progress()}`);
      nextReport += 10_000;
    }
    await sleep(250);
  }
  return (performance.now() - t0) / 1000;
}

async function latencyP99(client: Client, paths: string[], seconds: number): Promise<number[]> {
  const samples: number[][] = paths.map(() => []);
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < paths.length; i++) {
      const t0 = performance.now();
      const res = await client.request('GET', paths[i]!);
      if (res.status !== 200) throw new Error(`GET ${paths[i]}: ${res.status} ${res.text.slice(0, 200)}`);
      samples[i]!.push(performance.now() - t0);
    }
    await sleep(200);
  }
  return samples.map((s) => percentile(s, 99));
}

type Transport = 'tls' | 'plain';

/** The listener's connection and TLS handshake counters, from its /metrics. */
async function connectionCounters(client: Client): Promise<{ connections: number; full: number; resumed: number }> {
  const text = (await client.request('GET', '/metrics')).text;
  const value = (prefix: string) => Number(text.split('\n').find((l) => l.startsWith(prefix))?.split(' ').pop() ?? 0);
  return { connections: value('starling_connections_total '), full: value('starling_tls_handshakes_total{resumed="false"}'), resumed: value('starling_tls_handshakes_total{resumed="true"}') };
}

/** Database statements so far by kind (insert, select, update, delete, raw), from the controller's /metrics. */
async function queryCounts(client: Client): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await client.request('GET', '/metrics')).text.split('\n')) {
    const m = /^starling_db_query_duration_seconds_count\{kind="(\w+)",outcome="\w+"\} (\d+)/.exec(line);
    if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return counts;
}

/** HTTP requests answered so far by route, and the seconds they took in all, from the controller's /metrics. */
async function requestCounts(client: Client): Promise<{ counts: Map<string, number>; seconds: Map<string, number> }> {
  const counts = new Map<string, number>();
  const seconds = new Map<string, number>();
  for (const line of (await client.request('GET', '/metrics')).text.split('\n')) {
    const m = /^starling_http_request_duration_seconds_(count|sum)\{method="(\w+)",route="([^"]+)",status="\d+"\} ([\d.e+-]+)/.exec(line);
    if (!m) continue;
    const into = m[1] === 'count' ? counts : seconds;
    into.set(`${m[2]} ${m[3]}`, (into.get(`${m[2]} ${m[3]}`) ?? 0) + Number(m[4]));
  }
  return { counts, seconds };
}

/** Per-subcloud rates of what grew between two counts (those of at least 0.05 each), as "key n.n, …", with the mean time of each when given. */
function perSubcloud(before: Map<string, number>, after: Map<string, number>, subclouds: number, seconds?: { before: Map<string, number>; after: Map<string, number> }): string {
  return [...after]
    .map(([k, n]) => [k, n - (before.get(k) ?? 0)] as const)
    .filter(([, n]) => n / subclouds >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${(n / subclouds).toFixed(1)}${seconds ? ` (mean ${fmt((((seconds.after.get(k) ?? 0) - (seconds.before.get(k) ?? 0)) / n) * 1000)} ms)` : ''}`)
    .join(', ');
}

/**
 * Connections the kernel dropped because a listener's accept queue was full
 * (TcpExt ListenDrops, for the whole machine: the controller is the one
 * listener under load here).
 */
function listenDrops(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('ListenDrops')] ?? 0);
}

/** Subclouds the simulators see not connected, and why (their last exchange's error), once fewer than 500 are left: what a storm's tail waits on. */
async function laggards(sims: SimChild[]): Promise<string> {
  const replies = await Promise.all(sims.map((s) => s.ask({ type: 'laggards' }, 'laggards', 10_000)));
  const count = replies.reduce((n, r) => n + r.count, 0);
  if (count === 0 || count >= 500) return '';
  const reasons = new Map<string, number>();
  for (const r of replies) for (const { reason, count: n } of r.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
  return `; ${count} not connected: ${[...reasons].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, n]) => `${n} × ${reason.slice(0, 120)}`).join('; ')}`;
}

/** Samples the counters every second until stopped: the average and the busiest second of new connections and handshakes. */
function watchConnections(client: Client) {
  const samples: Array<{ at: number; c: Awaited<ReturnType<typeof connectionCounters>> }> = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      samples.push({ at: performance.now(), c: await connectionCounters(client) });
      await sleep(1000);
    }
  })();
  return {
    async end() {
      stopped = true;
      await loop;
      samples.push({ at: performance.now(), c: await connectionCounters(client) });
      const first = samples[0]!;
      const last = samples[samples.length - 1]!;
      const seconds = (last.at - first.at) / 1000;
      const per = (k: 'connections' | 'full' | 'resumed') => (last.c[k] - first.c[k]) / seconds;
      const peak = (k: 'connections' | 'full' | 'resumed') => Math.max(0, ...samples.slice(1).map((s, i) => (s.c[k] - samples[i]!.c[k]) / ((s.at - samples[i]!.at) / 1000)));
      const count = (k: 'connections' | 'full' | 'resumed') => last.c[k] - first.c[k];
      return { counts: { connections: count('connections'), full: count('full'), resumed: count('resumed') }, connections: per('connections'), connectionsPeak: peak('connections'), full: per('full'), resumed: per('resumed'), handshakesPeak: Math.max(peak('full') + peak('resumed'), 0), total: last.c.full + last.c.resumed - first.c.full - first.c.resumed };
    },
  };
}

async function runBackend(kind: 'postgres' | 'sqlite', transport: Transport, profile: string): Promise<Row[]> {
  const rows: Row[] = [];
  const behind = profile === 'lan' ? '' : `, ${profile}`;
  const row = (r: Omit<Row, 'backend'>) => rows.push({ backend: `${kind === 'postgres' ? 'PostgreSQL' : 'SQLite'}, ${transport === 'tls' ? 'mTLS' : 'plain HTTP'}${behind}`, ...r });
  let databaseUrl: string | undefined;
  if (kind === 'postgres') {
    databaseUrl = await benchSchema('dc');
  }
  // STARLING_BENCH_CPU_PROF=<dir> profiles the controller; the .cpuprofile is written there when it exits.
  const profDir = process.env.STARLING_BENCH_CPU_PROF;
  const serve = await startServe(`dc-${kind}-${transport}`, profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [], ['--role', 'systemcontroller', '--max-connections-per-address', '0', ...(databaseUrl ? ['--database-url', databaseUrl] : []), ...(transport === 'plain' ? ['--insecure-http'] : [])]);
  const { url, dataDir } = serve;
  const client = new Client(url, 4, serve.ca);
  onCleanup('close the client', () => client.close());
  const token = await client.login('admin', ADMIN_PASSWORD);
  const counter = kind === 'postgres' ? await pgCounter(databaseUrl!) : sqliteCounter(join(dataDir, 'starling.db'));
  onCleanup('close the counter', () => counter.close());
  log(`controller pid ${serve.pid} at ${url}`);

  const sims = Array.from({ length: SIMS }, (_, i) => startSim(i));
  const per = Math.ceil(N / SIMS);
  const t0 = performance.now();
  const prepared = await Promise.all(
    sims.map((s, i) => s.ask({ type: 'prepare', controller: url, token, ...(serve.ca ? { ca: serve.ca } : {}), count: Math.min(per, N - i * per), prefix: `${kind}-sim${i}`, seed: String(i), profile, ...(CONCURRENCY ? { concurrency: CONCURRENCY } : {}) }, 'prepared', 30 * 60_000)),
  );
  const addS = (performance.now() - t0) / 1000;
  const added = prepared.reduce((n, p) => n + p.added, 0);
  log(`added ${added} subclouds in ${addS.toFixed(1)} s (${Math.round(added / addS)}/s)`);
  const addFailure = prepared.find((p) => p.firstFailure)?.firstFailure;
  if (addFailure) log(`${N - added} could not be added; the first said: ${addFailure}`);
  row({ measure: `add ${N.toLocaleString('en-US')} subclouds via the API`, value: addS, unit: 's' });

  // 1. Everyone enrolls at once.
  const t1 = performance.now();
  const enrollCpu = [serve.pid, ...sims.map((s) => s.pid!)].map((pid) => watchProcess(pid));
  const postgresCpu0 = kind === 'postgres' ? cpuSecondsOfCommand('postgres') : 0;
  const queries0 = await queryCounts(client);
  const requests0 = await requestCounts(client);
  const enrollConnections = watchConnections(client);
  const enrollDrops = listenDrops();
  const starting = Promise.all(sims.map((s) => s.ask({ type: 'start' }, 'started', 30 * 60_000)));
  const onlineS = await waitFor('all online', async () => (await counter.online()) >= added, 10 * 60_000, async () => `${(await counter.online()).toLocaleString('en-US')} online`);
  const started = await starting;
  log(`all ${added} online ${onlineS.toFixed(1)} s after enrollment began (${started.reduce((n, s) => n + s.failed, 0)} failed to start)`);
  const startFailure = started.find((s) => s.firstFailure)?.firstFailure;
  if (startFailure) log(`the first that failed to start said: ${startFailure}`);
  // Where the enrollment's CPU went: the machine's cores are shared by the controller and the simulators.
  const [controllerCpu, ...simCpu] = enrollCpu.map((w) => w.end());
  const postgres = kind === 'postgres' ? `, PostgreSQL server ${(((cpuSecondsOfCommand('postgres') - postgresCpu0) / controllerCpu!.seconds) * 100).toFixed(1)} %` : '';
  log(`enrollment CPU: controller ${controllerCpu!.cpuPct.toFixed(1)} % of a core, simulators ${simCpu.reduce((n, u) => n + u.cpuPct, 0).toFixed(1)} % together${postgres}`);
  row({ measure: 'enrollment: controller CPU (% of one core)', value: controllerCpu!.cpuPct, unit: '%' });
  const queries1 = await queryCounts(client);
  const requests1 = await requestCounts(client);
  const statements = [...queries1].reduce((sum, [k, n]) => sum + n - (queries0.get(k) ?? 0), 0);
  row({ measure: 'enrollment: database statements per subcloud', value: statements / added, unit: '', note: perSubcloud(queries0, queries1, added) });
  const requests = [...requests1.counts].reduce((sum, [k, n]) => sum + n - (requests0.counts.get(k) ?? 0), 0);
  row({ measure: 'enrollment: HTTP requests per subcloud', value: requests / added, unit: '', note: perSubcloud(requests0.counts, requests1.counts, added, { before: requests0.seconds, after: requests1.seconds }) });
  const enrollSeen = await enrollConnections.end();
  row({ measure: 'enrollment: connections dropped by a full accept queue', value: listenDrops() - enrollDrops, unit: '' });
  const perEnrolled = (n: number) => n / added;
  row({ measure: 'enrollment: new connections per subcloud', value: perEnrolled(enrollSeen.counts.connections), unit: '' });
  if (transport === 'tls') row({ measure: 'enrollment: TLS handshakes per subcloud', value: perEnrolled(enrollSeen.counts.full + enrollSeen.counts.resumed), unit: '', note: `${fmt(perEnrolled(enrollSeen.counts.full))} full + ${fmt(perEnrolled(enrollSeen.counts.resumed))} resumed` });
  row({ measure: 'time until all online (from enrollment)', value: (performance.now() - t1) / 1000, unit: 's', target: { op: '<=', value: TARGETS.onlineS } });

  // STARLING_BENCH_DC_ENROLL_ONLY=1 stops here (a quicker look at enrollment).
  if (process.env.STARLING_BENCH_DC_ENROLL_ONLY) {
    await Promise.all(sims.map((s) => s.ask({ type: 'stop' }, 'stopped', 120_000).catch(() => undefined)));
    // Let them exit by themselves (a profiled one writes its profile then).
    await Promise.all(sims.map((s) => (s.exitCode !== null ? Promise.resolve() : new Promise((resolve) => s.once('exit', resolve)))));
    return rows;
  }

  // Behind a bad link: a soak instead of steps 2-4.
  if (profile !== 'lan') {
    await soak(serve.pid, kind, counter, added, row);
    await Promise.all(sims.map((s) => s.ask({ type: 'stop' }, 'stopped', 120_000).catch(() => undefined)));
    return rows;
  }

  // 2. Steady state.
  log('steady state: settling 30 s, then 60 s measured');
  await sleep(30_000);
  const watch = watchProcess(serve.pid);
  const [listP99, summaryP99] = await latencyP99(client, ['/api/v1/subclouds?limit=100', '/api/v1/fleet/alarm-summary?limit=100'], 60);
  const usage = watch.end();
  row({ measure: 'steady state: controller CPU (% of one core)', value: usage.cpuPct, unit: '%', target: { op: '<=', value: TARGETS.cpuPct } });
  row({ measure: 'steady state: controller RSS (max)', value: usage.rssMaxMb, unit: 'MB', target: { op: '<=', value: TARGETS.rssMb } });
  row({ measure: 'GET /subclouds?limit=100 p99', value: listP99!, unit: 'ms', target: { op: '<=', value: TARGETS.p99Ms } });
  row({ measure: 'GET /fleet/alarm-summary p99', value: summaryP99!, unit: 'ms', target: { op: '<=', value: TARGETS.p99Ms } });

  // 3. 10 % dropped at once.
  const cutAt = Date.now();
  const cut = (await Promise.all(sims.map((s, i) => s.ask({ type: 'cut', count: Math.round(prepared[i]!.added / 10) }, 'cut', 60_000)))).flatMap((c) => c.names);
  log(`cut ${cut.length} links; waiting for offline detection`);
  let offline = new Map<string, number>();
  await waitFor('10% offline', async () => (offline = await counter.offlineAt(cut)).size >= cut.length, 5 * 60_000);
  const detect = [...offline.values()].map((at) => (at - cutAt) / 1000);
  row({ measure: `offline detection p99 (${cut.length} cut)`, value: percentile(detect, 99), unit: 's', target: { op: '<=', value: TARGETS.detectP99S } });
  row({ measure: `offline detection p50`, value: percentile(detect, 50), unit: 's' });
  await Promise.all(sims.map((s) => s.ask({ type: 'restore' }, 'restored', 60_000)));
  const back10 = await waitFor('10% back online', async () => (await counter.online()) >= added, 10 * 60_000);
  log(`the 10% back online in ${back10.toFixed(1)} s`);

  // 4. Everything cut, then restored at once.
  await Promise.all(sims.map((s, i) => s.ask({ type: 'cut', count: prepared[i]!.added }, 'cut', 60_000)));
  const allOff = await waitFor('all offline', async () => (await counter.online()) === 0, 10 * 60_000);
  log(`all offline after ${allOff.toFixed(1)} s; restoring every link at once`);
  await sleep(5_000); // let their backoffs spread as they would after an outage
  const storm = watchConnections(client);
  const stormDrops = listenDrops();
  const t4 = performance.now();
  await Promise.all(sims.map((s) => s.ask({ type: 'restore' }, 'restored', 60_000)));
  await waitFor('all back online', async () => (await counter.online()) >= added, 10 * 60_000, async () => `${(await counter.online()).toLocaleString('en-US')} online${await laggards(sims)}`);
  row({ measure: 'all cut and restored: time until all online', value: (performance.now() - t4) / 1000, unit: 's', target: { op: '<=', value: TARGETS.recoverS } });
  const seen = await storm.end();
  row({ measure: 'reconnect storm: connections dropped by a full accept queue', value: listenDrops() - stormDrops, unit: '' });
  row({ measure: 'reconnect storm: new connections per second (average)', value: seen.connections, unit: '/s' });
  row({ measure: 'reconnect storm: new connections in the busiest second', value: seen.connectionsPeak, unit: '/s' });
  if (transport === 'tls') {
    row({ measure: 'reconnect storm: TLS handshakes per second (full + resumed)', value: seen.full + seen.resumed, unit: '/s', note: `${fmt(seen.full)} full + ${fmt(seen.resumed)} resumed; ${seen.total.toLocaleString('en-US')} in all` });
    row({ measure: 'reconnect storm: TLS handshakes in the busiest second', value: seen.handshakesPeak, unit: '/s' });
  }

  await Promise.all(sims.map((s) => s.ask({ type: 'stop' }, 'stopped', 120_000).catch(() => undefined)));
  return rows;
}

/**
 * Every subcloud behind a link that flaps (leo: a handover every 15 s): for
 * STARLING_BENCH_DC_SOAK_MINUTES (default 10), how often a subcloud was
 * marked offline (280.001 raised; target 0: the links are up most of the
 * time), the fewest online at any sample, and the controller's CPU.
 */
async function soak(pid: number, kind: 'postgres' | 'sqlite', counter: Counter, added: number, row: (r: Omit<Row, 'backend'>) => void): Promise<void> {
  const minutes = Number(process.env.STARLING_BENCH_DC_SOAK_MINUTES ?? 10);
  log(`soak: ${minutes} min with every link flapping; settling 30 s first`);
  await sleep(30_000);
  const since = Date.now();
  const watch = watchProcess(pid);
  const postgresCpu0 = kind === 'postgres' ? cpuSecondsOfCommand('postgres') : 0;
  let fewest = added;
  const end = performance.now() + minutes * 60_000;
  let nextReport = performance.now() + 60_000;
  while (performance.now() < end) {
    fewest = Math.min(fewest, await counter.online());
    if (performance.now() >= nextReport) {
      nextReport += 60_000;
      log(`  ${Math.round((Date.now() - since) / 60_000)} min: 280.001 raised ${await counter.offlineRaises(since)} times; fewest online ${fewest}`);
    }
    await sleep(2_000);
  }
  const usage = watch.end();
  const raises = await counter.offlineRaises(since);
  const postgres = kind === 'postgres' ? `; PostgreSQL server ${fmt(((cpuSecondsOfCommand('postgres') - postgresCpu0) / usage.seconds) * 100)} %` : '';
  row({ measure: `soak ${minutes} min: subclouds marked offline (280.001 raised)`, value: raises, unit: '', target: { op: '<=', value: 0 }, note: `fewest online at a 2 s sample: ${fewest} of ${added}` });
  row({ measure: `soak ${minutes} min: controller CPU (% of one core)`, value: usage.cpuPct, unit: '%', note: `RSS max ${fmt(usage.rssMaxMb)} MB${postgres}` });
}

async function main(): Promise<void> {
  console.log(`Starling distributed cloud benchmark: ${N.toLocaleString('en-US')} simulated subclouds (${SIMS} simulator processes), one system controller`);
  const rows: Row[] = [];
  // Runs are separated by ";" since a profile spec has commas of its own.
  const runs = (process.env.STARLING_BENCH_DC_RUNS ?? 'postgres:tls;sqlite:tls;sqlite:plain').split(';').map((r) => {
    const [kind, transport = 'tls', profile = 'lan'] = r.split(':') as ['postgres' | 'sqlite', Transport | undefined, string | undefined];
    if (!['postgres', 'sqlite'].includes(kind) || !['tls', 'plain'].includes(transport)) throw new Error(`STARLING_BENCH_DC_RUNS: "${r}" is not backend:transport[:profile] (postgres|sqlite : tls|plain : a WAN profile such as leo)`);
    return { kind, transport, profile };
  });
  for (const { kind, transport, profile } of runs) {
    console.log(`\n${kind}, ${transport === 'tls' ? 'mutual TLS' : 'plain HTTP (--insecure-http)'}${profile === 'lan' ? '' : `, every link ${profile}`}:`);
    rows.push(...(await runBackend(kind, transport, profile)));
    await runCleanups();
  }
  printResults(rows);
  printTlsCost(rows);
}

/** TLS against plain HTTP on the same backend, where both ran: the ratios of what TLS costs. */
function printTlsCost(rows: readonly Row[]): void {
  for (const backend of ['PostgreSQL', 'SQLite']) {
    const pick = (transport: string, measure: string) => rows.find((r) => r.backend === `${backend}, ${transport}` && r.measure.startsWith(measure))?.value;
    const lines: string[] = [];
    for (const measure of ['steady state: controller CPU', 'steady state: controller RSS', 'time until all online', 'all cut and restored']) {
      const tls = pick('mTLS', measure);
      const plain = pick('plain HTTP', measure);
      if (tls !== undefined && plain !== undefined) lines.push(`  ${measure}: mTLS ${fmt(tls)} vs plain ${fmt(plain)} (${fmt(tls / plain)} x)`);
    }
    if (lines.length) console.log(`\nWhat mutual TLS costs on ${backend} (same run):\n${lines.join('\n')}`);
  }
}

runBench(main);
