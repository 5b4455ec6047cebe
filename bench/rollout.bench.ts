/**
 * Rollout benchmark: a system controller (`starling serve`, its own
 * process) rolls releases out to simulated subclouds (the product's fleet
 * simulator, in four child processes, over real HTTP).
 *
 *   npm run bench:rollout                                  (~30 minutes)
 *   STARLING_BENCH_ROLLOUT_PARTS=lan npm run bench:rollout  (one part: lan, satellite, prestage)
 *   STARLING_BENCH_ROLLOUT_SUBCLOUDS=2000 STARLING_BENCH_ROLLOUT_PARALLEL=200 npm run bench:rollout
 *   STARLING_BENCH_ROLLOUT_BACKEND=postgres npm run bench:rollout
 *
 * 1. lan: 10,000 subclouds, a fleet sw-deploy strategy with max-parallel
 *    1,000, each subcloud's deploy simulated as 30 s (it fetches the small
 *    release for real first): total time from apply to complete as a ratio
 *    of the ideal ceil(N/P) × 30 s (target ≤ 1.10). Then a second release:
 *    abort the moment the first of the first 1,000 finishes (when the runner
 *    would start the next ones); the abort latency is how long after the
 *    abort request a step still started (target ≤ 5 s).
 * 2. satellite: the same rollout with every subcloud behind the satellite
 *    profile (600 ms round trip, 5 % loss, a 15 s drop every 5 minutes):
 *    target ≤ 1.25.
 * 3. prestage: a 100 MB release to 1,000 subclouds at 10 Mbit/s each, 250
 *    at once (the strategy's cap): achieved throughput (bytes fetched over
 *    the strategy's duration) as a ratio of 250 × 10 Mbit/s.
 *
 * Step and strategy states are read from the controller's database directly
 * (read-only), so measuring adds no load to its API.
 */
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { buildBundle } from '../src/resources/software/release-bundle.js';
import { generateReleaseKeys } from '../src/resources/software/release-signature.js';
import { Client } from './lib/http.js';
import { printResults, runBench } from './lib/run-bench.js';
import { benchSchema } from './lib/pg-schema.js';
import type { Row } from './lib/report.js';
import { startSim, type SimChild } from './lib/sim-child.js';
import { tlsFetch } from '../src/pki/tls-fetch.js';
import { ADMIN_PASSWORD, onCleanup, runCleanups, sleep, startServe, watchProcess } from './lib/site-procs.js';

const N = Number(process.env.STARLING_BENCH_ROLLOUT_SUBCLOUDS ?? 10_000);
const P = Number(process.env.STARLING_BENCH_ROLLOUT_PARALLEL ?? 1_000);
const DEPLOY_S = Number(process.env.STARLING_BENCH_ROLLOUT_DEPLOY_S ?? 30);
const PRESTAGE_N = Number(process.env.STARLING_BENCH_ROLLOUT_PRESTAGE_SUBCLOUDS ?? 1_000);
const PRESTAGE_MB = Number(process.env.STARLING_BENCH_ROLLOUT_PRESTAGE_MB ?? 100);
const PRESTAGE_MBPS = 10;
const PRESTAGE_AT_ONCE = 250;
const SIMS = 4;
const BACKEND = (process.env.STARLING_BENCH_ROLLOUT_BACKEND ?? 'sqlite') as 'sqlite' | 'postgres';
const TARGETS = { lanRatio: 1.1, satelliteRatio: 1.25, abortS: 5 };
const log = (m: string) => console.log(`  ${m}`);
const keys = generateReleaseKeys();

type Query = (text: string) => Promise<Array<Record<string, unknown>>>;

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<number> {
  const t0 = performance.now();
  while (!(await probe())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
  return (performance.now() - t0) / 1000;
}

/** A controller with its admin client and a read-only view of its database. */
async function controller(label: string) {
  let databaseUrl: string | undefined;
  if (BACKEND === 'postgres') {
    databaseUrl = await benchSchema('rollout');
  }
  const serve = await startServe(label, [], ['--role', 'systemcontroller', '--max-connections-per-address', '0', ...(databaseUrl ? ['--database-url', databaseUrl] : [])]);
  const client = new Client(serve.url, 16, serve.ca);
  onCleanup('close the client', () => client.close());
  const token = await client.login('admin', ADMIN_PASSWORD);
  let query: Query;
  if (databaseUrl) {
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    onCleanup('close the reader', () => c.end());
    query = async (text) => (await c.query(text)).rows as Array<Record<string, unknown>>;
  } else {
    const db = new Database(join(serve.dataDir, 'starling.db'), { readonly: true, fileMustExist: true });
    onCleanup('close the reader', () => void db.close());
    query = async (text) => db.prepare(text).all() as Array<Record<string, unknown>>;
  }
  const count = async (text: string) => Number((await query(text))[0]!.n);
  log(`controller pid ${serve.pid} at ${serve.url} (${BACKEND})`);
  return { serve, client, token, query, count };
}
type Controller = Awaited<ReturnType<typeof controller>>;

/** Builds a signed release with one content file of `bytes` random bytes and uploads it. */
async function release(c: Controller, id: string, bytes: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-release-'));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'content'), { recursive: true });
  const file = await open(join(dir, 'content', 'payload.bin'), 'w');
  for (let left = bytes; left > 0; left -= 1 << 20) await file.write(randomBytes(Math.min(left, 1 << 20)));
  await file.close();
  await writeFile(join(dir, 'release.json'), JSON.stringify({ id, version: id.split('-').pop(), summary: `benchmark release ${id}` }));
  await buildBundle(dir, keys.privatePem, join(dir, 'bundle.tar'));
  const res = await tlsFetch(c.serve.ca ? { ca: c.serve.ca } : undefined)(`${c.serve.url}/api/v1/software/releases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/octet-stream' },
    body: await readFile(join(dir, 'bundle.tar')),
  });
  if (res.status !== 201) throw new Error(`upload ${id}: ${res.status} ${await res.text()}`);
}

/** Deploys a release on the (hostless) system controller itself, as StarlingX does before its subclouds. */
async function deployHere(c: Controller, id: string): Promise<void> {
  await c.client.json('POST', '/api/v1/software/deploy/start', { release: id });
  await c.client.json('POST', '/api/v1/software/deploy/activate', {});
  await c.client.json('POST', '/api/v1/software/deploy/complete', {});
  const deleted = await c.client.request('DELETE', '/api/v1/software/deploy');
  if (deleted.status !== 204) throw new Error(`DELETE /api/v1/software/deploy: ${deleted.status} ${deleted.text}`);
}

/**
 * Brings up `total` simulated subclouds in SIMS processes and manages those
 * online. Behind a flapping link (satellite) a few are offline at any
 * moment, so it waits for 99 % rather than all; the strategy leaves the
 * offline ones out, as it should.
 */
async function fleet(c: Controller, total: number, profile: string, prefix: string, deployMs: number): Promise<SimChild[]> {
  const sims = Array.from({ length: SIMS }, (_, i) => startSim(i));
  const per = Math.ceil(total / SIMS);
  const t0 = performance.now();
  await Promise.all(
    sims.map((s, i) =>
      s.ask(
        { type: 'prepare', controller: c.serve.url, token: c.token, ...(c.serve.ca ? { ca: c.serve.ca } : {}), count: Math.min(per, total - i * per), prefix: `${prefix}${i}`, seed: `${prefix}${i}`, profile, deployMs, alarmChurnPerHour: 0, concurrency: profile === 'lan' ? 16 : 128 },
        'prepared',
        30 * 60_000,
      ),
    ),
  );
  await Promise.all(sims.map((s) => s.ask({ type: 'start' }, 'started', 30 * 60_000)));
  const online = () => c.count(`select count(*) as n from subclouds where availability_status = 'online'`);
  await waitFor('99 % online', async () => (await online()) >= total * 0.99, 15 * 60_000);
  log(`${await online()} of ${total} subclouds (${profile}) online after ${((performance.now() - t0) / 1000).toFixed(1)} s; managing them`);
  const names = (await c.query(`select name from subclouds where availability_status = 'online'`)).map((r) => String(r.name));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < names.length) {
        const name = names[next++]!;
        // One that dropped off meanwhile stays unmanaged: the strategy leaves it out.
        await c.client.request('POST', `/api/v1/subclouds/${name}/manage`, '{}');
      }
    }),
  );
  return sims;
}

/** Rolls `id` out to every managed, online subcloud lacking it; the time and its ideal, ceil(steps/P) x DEPLOY_S. */
async function rollout(c: Controller, id: string, timeoutFactor: number): Promise<{ seconds: number; ideal: number; steps: number; cpuPct: number; rssMaxMb: number; failed: number }> {
  await waitOutOfSync(c, id);
  const created = await c.client.json<{ steps: { total: number } }>('POST', '/api/v1/sw-update-strategy', { type: 'sw-deploy', release: id, max_parallel_subclouds: P });
  const steps = created.steps.total;
  const ideal = Math.ceil(steps / P) * DEPLOY_S;
  const r = await applyUntilDone(c, steps, 'complete', ideal * timeoutFactor * 1000);
  await c.client.request('DELETE', '/api/v1/sw-update-strategy');
  return { ...r, ideal, steps };
}

/** Waits until the managed subclouds have reported the system controller's new release (out-of-sync). */
async function waitOutOfSync(c: Controller, id: string): Promise<void> {
  const managed = await c.count(`select count(*) as n from subclouds where management_state = 'managed'`);
  await waitFor(
    `the managed subclouds out-of-sync for ${id}`,
    async () => (await c.count(`select count(*) as n from subcloud_endpoints e join subclouds s on s.id = e.subcloud_id where e.endpoint_type = 'software' and e.sync_status = 'out-of-sync' and s.management_state = 'managed' and s.availability_status = 'online'`)) >= managed * 0.99,
    10 * 60_000,
  );
}

/** Applies the strategy and waits for it to complete (progress every 30 s); its duration and the controller's CPU and RSS meanwhile. */
async function applyUntilDone(c: Controller, total: number, noun: string, timeoutMs: number): Promise<{ seconds: number; cpuPct: number; rssMaxMb: number; failed: number }> {
  const watch = watchProcess(c.serve.pid);
  const t0 = performance.now();
  await c.client.json('POST', '/api/v1/sw-update-strategy/actions', { action: 'apply' });
  let lastShown = 0;
  await waitFor(
    'the strategy complete',
    async () => {
      const [row] = await c.query(`select state, reason from fleet_strategy`);
      if (row!.state === 'aborted') throw new Error(`the strategy ended aborted: ${String(row!.reason)}`);
      if (performance.now() - lastShown > 30_000) {
        lastShown = performance.now();
        log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${await c.count(`select count(*) as n from fleet_strategy_steps where state = 'complete'`)} of ${total} ${noun}`);
      }
      // Failed steps (a subcloud offline when its step was due) end the strategy `failed`; the rest still counts.
      return row!.state === 'complete' || row!.state === 'failed';
    },
    timeoutMs,
    100,
  );
  const seconds = (performance.now() - t0) / 1000;
  const usage = watch.end();
  const failed = await c.count(`select count(*) as n from fleet_strategy_steps where state = 'failed'`);
  if (failed) log(`  ${failed} step(s) failed: ${JSON.stringify(await c.query(`select reason from fleet_strategy`))}`);
  return { seconds, cpuPct: usage.cpuPct, rssMaxMb: usage.rssMaxMb, failed };
}

async function stopSims(sims: SimChild[]): Promise<void> {
  await Promise.all(sims.map((s) => s.ask({ type: 'stop' }, 'stopped', 120_000).catch(() => undefined)));
}

/**
 * A controller with the releases uploaded, a fleet of N subclouds behind
 * `profile`, and the first release rolled out to them: the rows of that
 * rollout are added. Returns the controller and simulators for what follows.
 */
async function rolloutPart(rows: Row[], part: 'lan' | 'satellite', releases: string[], ratioTarget: number, timeoutFactor: number): Promise<{ c: Controller; sims: SimChild[] }> {
  const c = await controller(`rollout-${part}`);
  await c.client.json('POST', '/api/v1/software/trust', { public_key: keys.publicPem }, 201);
  for (const id of releases) await release(c, id, 4096);
  const sims = await fleet(c, N, part, part, DEPLOY_S * 1000);
  await deployHere(c, releases[0]!);
  const r = await rollout(c, releases[0]!, timeoutFactor);
  log(`${part}: ${r.steps} subclouds in ${r.seconds.toFixed(1)} s (ideal ${r.ideal} s)`);
  rows.push({ backend: part, measure: `sw-deploy ${r.steps.toLocaleString('en-US')} subclouds, max-parallel ${P}: total time`, value: r.seconds, unit: 's' });
  rows.push({ backend: part, measure: `  as a ratio of ceil(N/P) x ${DEPLOY_S} s = ${r.ideal} s`, value: r.seconds / r.ideal, unit: 'x', target: { op: '<=', value: ratioTarget } });
  rows.push({ backend: part, measure: '  controller CPU during the rollout (% of one core)', value: r.cpuPct, unit: '%' });
  rows.push({ backend: part, measure: '  controller RSS (max)', value: r.rssMaxMb, unit: 'MB' });
  rows.push({ backend: part, measure: '  steps failed (subcloud offline when due, or timed out)', value: r.failed, unit: '' });
  return { c, sims };
}

async function lanPart(rows: Row[]): Promise<void> {
  const { c, sims } = await rolloutPart(rows, 'lan', ['bench-1.0.1', 'bench-1.0.2'], TARGETS.lanRatio, 3);

  // Abort: a second release, aborted once the first wave runs.
  await deployHere(c, 'bench-1.0.2');
  await waitOutOfSync(c, 'bench-1.0.2');
  await c.client.json('POST', '/api/v1/sw-update-strategy', { type: 'sw-deploy', release: 'bench-1.0.2', max_parallel_subclouds: P });
  await c.client.json('POST', '/api/v1/sw-update-strategy/actions', { action: 'apply' });
  await waitFor('the first wave running', async () => (await c.count(`select count(*) as n from fleet_strategy_steps where state <> 'initial'`)) >= P, 60_000, 50);
  // Abort the moment slots start to free up, when the runner would otherwise be starting the next steps.
  await waitFor('the first step finished', async () => (await c.count(`select count(*) as n from fleet_strategy_steps where state = 'complete'`)) >= 1, DEPLOY_S * 3000, 20);
  const abortAt = Date.now();
  await c.client.json('POST', '/api/v1/sw-update-strategy/actions', { action: 'abort' });
  const stopped = await waitFor('aborted', async () => String((await c.query(`select state from fleet_strategy`))[0]!.state) === 'aborted', DEPLOY_S * 4000);
  const lastStart = Number((await c.query(`select max(started_at) as t from fleet_strategy_steps`))[0]!.t);
  const latency = Math.max(0, lastStart - abortAt) / 1000;
  const started = await c.count(`select count(*) as n from fleet_strategy_steps where started_at is not null`);
  log(`abort: last step started ${latency.toFixed(2)} s after the request; ${started} started in all; aborted after ${stopped.toFixed(1)} s`);
  rows.push({ backend: 'lan', measure: 'abort latency: last step started after the abort request', value: latency, unit: 's', target: { op: '<=', value: TARGETS.abortS } });
  rows.push({ backend: 'lan', measure: '  abort request until aborted (running steps finish)', value: stopped, unit: 's' });
  await stopSims(sims);
  await runCleanups();
}

async function satellitePart(rows: Row[]): Promise<void> {
  const { sims } = await rolloutPart(rows, 'satellite', ['bench-1.0.1'], TARGETS.satelliteRatio, 4);
  await stopSims(sims);
  await runCleanups();
}

async function prestagePart(rows: Row[]): Promise<void> {
  const c = await controller('rollout-prestage');
  await c.client.json('POST', '/api/v1/software/trust', { public_key: keys.publicPem }, 201);
  const bytes = PRESTAGE_MB * 1_000_000;
  await release(c, 'bench-2.0.0', bytes);
  const sims = await fleet(c, PRESTAGE_N, 'lan', 'pre', DEPLOY_S * 1000);
  await waitFor('software reported', async () => (await c.count(`select count(*) as n from subcloud_endpoints where endpoint_type = 'software' and sync_status <> 'unknown'`)) >= PRESTAGE_N, 5 * 60_000);
  await c.client.json('POST', '/api/v1/sw-update-strategy', { type: 'prestage', release: 'bench-2.0.0', max_parallel_subclouds: PRESTAGE_AT_ONCE, prestage_mbps: PRESTAGE_MBPS });
  const idealS = Math.ceil(PRESTAGE_N / PRESTAGE_AT_ONCE) * ((bytes * 8) / (PRESTAGE_MBPS * 1e6));
  const { seconds, cpuPct } = await applyUntilDone(c, PRESTAGE_N, 'prestaged', idealS * 4 * 1000);
  const achieved = (PRESTAGE_N * bytes * 8) / seconds / 1e6;
  const limit = Math.min(PRESTAGE_N, PRESTAGE_AT_ONCE) * PRESTAGE_MBPS;
  log(`prestage: ${PRESTAGE_N} x ${PRESTAGE_MB} MB in ${seconds.toFixed(1)} s (ideal ${idealS.toFixed(0)} s): ${achieved.toFixed(0)} Mbit/s of ${limit}`);
  rows.push({ backend: 'prestage', measure: `${PRESTAGE_MB} MB to ${PRESTAGE_N.toLocaleString('en-US')} subclouds at ${PRESTAGE_MBPS} Mbit/s, ${PRESTAGE_AT_ONCE} at once: time`, value: seconds, unit: 's' });
  rows.push({ backend: 'prestage', measure: `  achieved throughput (limit ${limit} Mbit/s)`, value: achieved, unit: 'Mbit/s' });
  rows.push({ backend: 'prestage', measure: '  as a ratio of the limit', value: achieved / limit, unit: 'x' });
  rows.push({ backend: 'prestage', measure: '  controller CPU while serving (% of one core)', value: cpuPct, unit: '%' });
  await stopSims(sims);
  await runCleanups();
}

async function main(): Promise<void> {
  const parts = (process.env.STARLING_BENCH_ROLLOUT_PARTS ?? 'lan,satellite,prestage').split(',');
  console.log(`Starling rollout benchmark: ${N.toLocaleString('en-US')} simulated subclouds (${SIMS} simulator processes), max-parallel ${P}, ${DEPLOY_S} s per simulated deploy, ${BACKEND}`);
  const rows: Row[] = [];
  if (parts.includes('lan')) await lanPart(rows);
  if (parts.includes('satellite')) await satellitePart(rows);
  if (parts.includes('prestage')) await prestagePart(rows);
  printResults(rows, 'Part');
}

runBench(main);
