/**
 * Dashboard benchmark (`npm run bench:ui`), in Debian's chromium driven by
 * playwright-core, against a real `starling serve` (SQLite):
 *
 * 1. Render: a fresh page opening the fleet overview of 10,000 subclouds,
 *    from navigation to the first complete draw of the map (the app's
 *    `fleet-rendered` performance mark): download, login check, the map's
 *    stream and the draw. Target ≤ 1 s.
 * 2. Live: with the overview open, 300 subclouds a second change state for
 *    20 s; the controller streams the changed tiles and the page redraws.
 *    Frame intervals are read from requestAnimationFrame in the page.
 * 3. Size: the JavaScript the first load downloads, gzip as served
 *    (resource timing's encodedBodySize). Target ≤ 300 kB.
 *
 * The 10,000 subclouds (5 groups, mixed states) are written straight into
 * the controller's SQLite database, and the changes in part 2 likewise: what
 * is measured here is the dashboard, not enrollment (bench:dc measures that).
 *
 * Env: STARLING_BENCH_UI_SUBCLOUDS (10000), STARLING_BENCH_UI_RATE (300/s),
 * STARLING_BENCH_UI_SECONDS (20), STARLING_BENCH_UI_RUNS (5).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { launchBrowser } from '../test/helpers/browser.js';
import { percentile, type Row } from './lib/report.js';
import { printResults, runBench } from './lib/run-bench.js';
import { ADMIN_PASSWORD, onCleanup, sleep, startServe } from './lib/site-procs.js';

const N = Number(process.env.STARLING_BENCH_UI_SUBCLOUDS ?? 10_000);
const RATE = Number(process.env.STARLING_BENCH_UI_RATE ?? 300);
const SECONDS = Number(process.env.STARLING_BENCH_UI_SECONDS ?? 20);
const RUNS = Number(process.env.STARLING_BENCH_UI_RUNS ?? 5);
const GROUPS = ['rail-backbone', 'rural-lte', 'forest-sensors', 'metro-5g', 'ports'];

const log = (line: string) => console.log(line);

function seed(db: Database.Database): void {
  const now = Date.now();
  const insertGroup = db.prepare(`insert into subcloud_groups (name, description, update_apply_type, max_parallel_subclouds, created_at, updated_at) values (?, '[bench]', 'parallel', 2, ?, ?)`);
  for (const g of GROUPS) insertGroup.run(g, now, now);
  const groupIds = (db.prepare(`select id, name from subcloud_groups`).all() as Array<{ id: number; name: string }>).filter((g) => GROUPS.includes(g.name)).map((g) => g.id);
  const insert = db.prepare(
    `insert into subclouds (name, description, location, group_id, management_state, availability_status, deploy_status, backup_status, error_description, alarms_critical, alarms_major, created_at, updated_at)
     values (?, '[bench]', '', ?, ?, ?, 'complete', 'unknown', 'No errors present', ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const r = (i * 7919) % 100;
      insert.run(`site-${String(i).padStart(5, '0')}`, groupIds[i % groupIds.length], r < 95 ? 'managed' : 'unmanaged', r < 3 ? 'offline' : 'online', r >= 3 && r < 5 ? 1 : 0, r >= 5 && r < 10 ? 2 : 0, now, now);
    }
  })();
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  log(`Starling dashboard benchmark: fleet overview of ${N.toLocaleString('en-US')} subclouds in chromium`);
  const sc = await startServe('ui-sc');
  const db = new Database(join(sc.dataDir, 'starling.db'));
  db.pragma('busy_timeout = 5000');
  onCleanup('bench sqlite', () => void db.close());
  seed(db);
  const token = ((await (await fetch(`${sc.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) })).json()) as { token: string }).token;

  const browser = await launchBrowser();
  onCleanup('chromium', () => browser.close());
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  // Page scripts are strings: tsx would wrap functions in helpers the page does not have.
  await context.addInitScript(`sessionStorage.setItem('starling.token', ${JSON.stringify(token)})`);

  // 1 and 3: fresh loads.
  const renders: number[] = [];
  let jsBytes = 0;
  for (let run = 0; run < RUNS; run++) {
    const page = await context.newPage();
    await page.goto(`${sc.url}/#/fleet`);
    await page.waitForSelector(`canvas[data-tiles="${N}"]`, { timeout: 30_000 });
    const ms = await page.evaluate<number>(`performance.getEntriesByName('fleet-rendered')[0]?.startTime ?? -1`);
    renders.push(ms);
    if (run === 0) {
      jsBytes = await page.evaluate<number>(`performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.js')).reduce((sum, e) => sum + e.encodedBodySize, 0)`);
    }
    log(`  render ${run + 1}: ${ms.toFixed(0)} ms`);
    await page.close();
  }

  // 2: live updates.
  const page = await context.newPage();
  await page.goto(`${sc.url}/#/fleet`);
  await page.waitForSelector(`canvas[data-tiles="${N}"]`, { timeout: 30_000 });
  await page.evaluate(`{
    window.frames_ = [];
    let last = performance.now();
    const tick = (t) => { window.frames_.push(t - last); last = t; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  }`);
  const update = db.prepare(`update subclouds set alarms_critical = ?, alarms_major = ?, updated_at = ? where name = ?`);
  let changed = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < SECONDS * 1000) {
    const tickStart = Date.now();
    db.transaction(() => {
      for (let k = 0; k < RATE / 10; k++) {
        const i = Math.floor(Math.random() * N);
        const crit = Math.random() < 0.5 ? 1 : 0;
        update.run(crit, crit ? 0 : Math.floor(Math.random() * 2), Date.now(), `site-${String(i).padStart(5, '0')}`);
        changed++;
      }
    })();
    await sleep(Math.max(0, 100 - (Date.now() - tickStart)));
  }
  await sleep(1500); // the last period's changes arrive
  const frames = await page.evaluate<number[]>(`window.frames_.slice(1)`);
  const applied = Number(await page.getByTestId('tile-updates').textContent());
  log(`  live: ${changed} changes written in ${SECONDS} s; the page applied ${applied} tile updates over ${frames.length} frames`);

  const median = percentile(renders, 50);
  rows.push({ backend: 'render', measure: `fleet overview of ${N.toLocaleString('en-US')} subclouds: navigation to map drawn, median of ${RUNS}`, value: median, unit: 'ms', target: { op: '<=', value: 1000 } });
  rows.push({ backend: 'render', measure: '  slowest load', value: Math.max(...renders), unit: 'ms' });
  rows.push({ backend: "live", measure: `${RATE} subcloud writes/s for ${SECONDS} s: tile state changes applied`, value: applied, unit: '' });
  rows.push({ backend: 'live', measure: '  frame interval p50', value: percentile(frames, 50), unit: 'ms' });
  rows.push({ backend: 'live', measure: '  frame interval p95', value: percentile(frames, 95), unit: 'ms', target: { op: '<=', value: 33.4 } });
  rows.push({ backend: 'live', measure: '  frame interval max', value: Math.max(...frames), unit: 'ms' });
  rows.push({ backend: 'live', measure: '  frames longer than 50 ms', value: frames.filter((f) => f > 50).length, unit: '' });
  rows.push({ backend: 'size', measure: 'initial JavaScript, gzip as served', value: jsBytes / 1024, unit: 'kB', target: { op: '<=', value: 300 } });
  printResults(rows, 'Part');
}

runBench(main);
