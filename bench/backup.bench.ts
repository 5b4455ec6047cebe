/**
 * Platform backup and restore benchmark: a system controller (`starling
 * serve`, its own process, over TLS) holding 10,000 subclouds and 100,000
 * active alarms is backed up through the API while it runs, stopped, and
 * its archive restored with `starling backup restore` (its own process)
 * onto a fresh data folder or PostgreSQL schema; on each backend, and once
 * across (SQLite → PostgreSQL, the move to the scale backend).
 *
 *   npm run bench:backup
 *   STARLING_BENCH_BACKUP_SUBCLOUDS=2000 STARLING_BENCH_BACKUP_ALARMS=20000 npm run bench:backup
 *   STARLING_BENCH_BACKUP_RUNS=sqlite npm run bench:backup   (sqlite, postgres)
 *
 * Targets (issue 16): backup ≤ 60 s, restore ≤ 120 s. The subcloud group
 * backup figure (1,000 simulated subclouds uploading at 10 Mbit/s each)
 * waits for subcloud backups, which are not built yet.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from './lib/http.js';
import { benchSchema } from './lib/pg-schema.js';
import { printResults, runBench } from './lib/run-bench.js';
import type { Row } from './lib/report.js';
import { ADMIN_PASSWORD, BIN, sleep, spawnNode, startServe, tempDir } from './lib/site-procs.js';

const SUBCLOUDS = Number(process.env.STARLING_BENCH_BACKUP_SUBCLOUDS ?? 10_000);
const ALARMS = Number(process.env.STARLING_BENCH_BACKUP_ALARMS ?? 100_000);
const TARGETS = { backupS: 60, restoreS: 120 };
const PASSPHRASE = 'bench backup passphrase';
const log = (m: string) => console.log(`  ${m}`);

type Kind = 'sqlite' | 'postgres';

/** 10,000 subclouds through the API (16 at a time), then 100,000 alarms in batches of 5,000. */
async function populate(client: Client): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < SUBCLOUDS) {
        const i = next++;
        await client.json('POST', '/api/v1/subclouds', { name: `site-${String(i).padStart(5, '0')}` }, 201);
      }
    }),
  );
  for (let start = 0; start < ALARMS; start += 5000) {
    const raise = Array.from({ length: Math.min(5000, ALARMS - start) }, (_, j) => ({
      alarm_id: '100.103',
      entity_instance_id: `host=controller-0.sensor=s${start + j}`,
      severity: 'major',
      reason_text: `Platform Memory threshold exceeded on sensor ${start + j}`,
    }));
    await client.json('POST', '/api/v1/alarms/batch', { raise });
  }
}

/** Starts a backup and polls until it has finished; its time from the request to complete, and its size. */
async function backUp(client: Client): Promise<{ seconds: number; bytes: number; path: string }> {
  const t0 = performance.now();
  const started = await client.json<{ id: string }>('POST', '/api/v1/backups', { passphrase: PASSPHRASE }, 202);
  for (;;) {
    const row = await client.json<{ state: string; size: number | null; path: string; error: string | null }>('GET', `/api/v1/backups/${started.id}`);
    if (row.state === 'complete') return { seconds: (performance.now() - t0) / 1000, bytes: row.size!, path: row.path };
    if (row.state === 'failed') throw new Error(`the backup failed: ${row.error}`);
    await sleep(100);
  }
}

/** `starling backup restore` as an operator runs it, timed from start to exit. */
async function restore(archive: string, target: Kind, passFile: string): Promise<{ seconds: number; rows: number }> {
  const dataDir = tempDir(`restore-${target}`);
  const url = target === 'postgres' ? await benchSchema('restore') : undefined;
  const t0 = performance.now();
  const proc = spawnNode('restore', [BIN, 'backup', 'restore', archive, '--data-dir', dataDir, '--passphrase-file', passFile, ...(url ? ['--database-url', url] : [])], {});
  const code = await new Promise<number | null>((resolve) => proc.child.once('exit', resolve));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`restore exited ${code}:\n${proc.output()}`);
  const rows = Number(/restored ([\d,]+) rows/.exec(proc.output())?.[1]?.replaceAll(',', '') ?? NaN);
  return { seconds, rows };
}

async function runBackend(kind: Kind, passFile: string, rows: Row[]): Promise<void> {
  const label = kind === 'postgres' ? 'PostgreSQL' : 'SQLite';
  console.log(`\n${label}:`);
  const url = kind === 'postgres' ? await benchSchema('backup') : undefined;
  const serve = await startServe(`backup-${kind}`, [], ['--role', 'systemcontroller', '--max-connections-per-address', '0', ...(url ? ['--database-url', url] : [])]);
  const client = new Client(serve.url, 16, serve.ca);
  await client.login('admin', ADMIN_PASSWORD);
  const t0 = performance.now();
  await populate(client);
  log(`populated ${SUBCLOUDS.toLocaleString('en-US')} subclouds and ${ALARMS.toLocaleString('en-US')} alarms in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const made = await backUp(client);
  log(`backed up in ${made.seconds.toFixed(1)} s: ${(made.bytes / 1024 / 1024).toFixed(1)} MiB`);
  rows.push({ backend: label, measure: `backup of ${SUBCLOUDS.toLocaleString('en-US')} subclouds + ${ALARMS.toLocaleString('en-US')} alarms (running controller)`, value: made.seconds, unit: 's', target: { op: '<=', value: TARGETS.backupS } });
  rows.push({ backend: label, measure: 'archive size', value: made.bytes / 1024 / 1024, unit: 'MiB' });
  client.close();
  await serve.stop();

  const back = await restore(made.path, kind, passFile);
  log(`restored ${back.rows.toLocaleString('en-US')} rows onto ${label} in ${back.seconds.toFixed(1)} s`);
  rows.push({ backend: label, measure: `restore onto ${label} (stopped controller, new target)`, value: back.seconds, unit: 's', target: { op: '<=', value: TARGETS.restoreS }, note: `${back.rows.toLocaleString('en-US')} rows` });
  if (kind === 'sqlite' && runs.includes('postgres')) {
    const across = await restore(made.path, 'postgres', passFile);
    log(`restored the SQLite backup onto PostgreSQL in ${across.seconds.toFixed(1)} s`);
    rows.push({ backend: label, measure: 'restore onto PostgreSQL (SQLite → PostgreSQL)', value: across.seconds, unit: 's', target: { op: '<=', value: TARGETS.restoreS }, note: `${across.rows.toLocaleString('en-US')} rows` });
  }
}

const runs = (process.env.STARLING_BENCH_BACKUP_RUNS ?? 'sqlite;postgres').split(/[;,]/) as Kind[];

runBench(async () => {
  console.log(`Starling backup benchmark: a system controller with ${SUBCLOUDS.toLocaleString('en-US')} subclouds and ${ALARMS.toLocaleString('en-US')} active alarms`);
  const passFile = join(tempDir('pass'), 'passphrase');
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  const rows: Row[] = [];
  for (const kind of runs) await runBackend(kind, passFile, rows);
  printResults(rows);
  console.log('(the subcloud group backup part waits for subcloud backups, not built yet)');
});
