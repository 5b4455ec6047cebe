/**
 * Distributed cloud benchmark: one system controller (`starling serve`, its
 * own process) and 10,000 simulated subclouds (the product's fleet
 * simulator, in four child processes over real HTTP), first on PostgreSQL,
 * then on SQLite.
 *
 *   npm run bench:dc              (~15 minutes)
 *   STARLING_BENCH_DC_SUBCLOUDS=2000 npm run bench:dc   (a quicker look)
 *   STARLING_BENCH_DC_BACKENDS=postgres npm run bench:dc (one backend)
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
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Client } from './lib/http.js';
import { printResults, runBench } from './lib/run-bench.js';
import { benchSchema } from './lib/pg-schema.js';
import { percentile, type Row } from './lib/report.js';
import { ADMIN_PASSWORD, onCleanup, runCleanups, sleep, startServe, watchProcess } from './lib/site-procs.js';
import { startSim } from './lib/sim-child.js';

const N = Number(process.env.STARLING_BENCH_DC_SUBCLOUDS ?? 10_000);
const SIMS = 4;
const TARGETS = { onlineS: 120, cpuPct: 50, rssMb: 1536, p99Ms: 200, detectP99S: 60, recoverS: 120 };
const log = (m: string) => console.log(`  ${m}`);

interface Counter {
  online(): Promise<number>;
  offlineAt(names: string[]): Promise<Map<string, number>>;
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
    close: () => client.end(),
  };
}

function sqliteCounter(path: string): Counter {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const online = db.prepare(`select count(*) as n from subclouds where availability_status = 'online'`);
  return {
    online: async () => (online.get() as { n: number }).n,
    offlineAt: async (names) => {
      const rows = db.prepare(`select name, updated_at from subclouds where availability_status = 'offline' and name in (select value from json_each(?))`).all(JSON.stringify(names)) as Array<{ name: string; updated_at: number }>;
      return new Map(rows.map((r) => [r.name, r.updated_at]));
    },
    close: async () => void db.close(),
  };
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!(await probe())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
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

async function runBackend(kind: 'postgres' | 'sqlite'): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (r: Omit<Row, 'backend'>) => rows.push({ backend: kind === 'postgres' ? 'PostgreSQL' : 'SQLite', ...r });
  let databaseUrl: string | undefined;
  if (kind === 'postgres') {
    databaseUrl = await benchSchema('dc');
  }
  const serve = await startServe(`dc-${kind}`, [], ['--role', 'systemcontroller', ...(databaseUrl ? ['--database-url', databaseUrl] : [])]);
  const { url, dataDir } = serve;
  const client = new Client(url);
  onCleanup('close the client', () => client.close());
  const token = await client.login('admin', ADMIN_PASSWORD);
  const counter = kind === 'postgres' ? await pgCounter(databaseUrl!) : sqliteCounter(join(dataDir, 'starling.db'));
  onCleanup('close the counter', () => counter.close());
  log(`controller pid ${serve.pid} at ${url}`);

  const sims = Array.from({ length: SIMS }, (_, i) => startSim(i));
  const per = Math.ceil(N / SIMS);
  const t0 = performance.now();
  const prepared = await Promise.all(
    sims.map((s, i) => s.ask({ type: 'prepare', controller: url, token, count: Math.min(per, N - i * per), prefix: `${kind}-sim${i}`, seed: String(i), profile: 'lan' }, 'prepared', 30 * 60_000)),
  );
  const addS = (performance.now() - t0) / 1000;
  const added = prepared.reduce((n, p) => n + p.added, 0);
  log(`added ${added} subclouds in ${addS.toFixed(1)} s (${Math.round(added / addS)}/s)`);
  row({ measure: `add ${N.toLocaleString('en-US')} subclouds via the API`, value: addS, unit: 's' });

  // 1. Everyone enrolls at once.
  const t1 = performance.now();
  const starting = Promise.all(sims.map((s) => s.ask({ type: 'start' }, 'started', 30 * 60_000)));
  const onlineS = await waitFor('all online', async () => (await counter.online()) >= added, 10 * 60_000);
  const started = await starting;
  log(`all ${added} online ${onlineS.toFixed(1)} s after enrollment began (${started.reduce((n, s) => n + s.failed, 0)} failed to start)`);
  row({ measure: 'time until all online (from enrollment)', value: (performance.now() - t1) / 1000, unit: 's', target: { op: '<=', value: TARGETS.onlineS } });

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
  const t4 = performance.now();
  await Promise.all(sims.map((s) => s.ask({ type: 'restore' }, 'restored', 60_000)));
  await waitFor('all back online', async () => (await counter.online()) >= added, 10 * 60_000);
  row({ measure: 'all cut and restored: time until all online', value: (performance.now() - t4) / 1000, unit: 's', target: { op: '<=', value: TARGETS.recoverS } });

  await Promise.all(sims.map((s) => s.ask({ type: 'stop' }, 'stopped', 120_000).catch(() => undefined)));
  return rows;
}

async function main(): Promise<void> {
  console.log(`Starling distributed cloud benchmark: ${N.toLocaleString('en-US')} simulated subclouds (${SIMS} simulator processes), one system controller`);
  const rows: Row[] = [];
  const kinds = (process.env.STARLING_BENCH_DC_BACKENDS ?? 'postgres,sqlite').split(',') as Array<'postgres' | 'sqlite'>;
  for (const kind of kinds) {
    console.log(`\n${kind}:`);
    rows.push(...(await runBackend(kind)));
    await runCleanups();
  }
  printResults(rows);
}

runBench(main);
