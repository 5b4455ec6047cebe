/**
 * Site benchmark: what one host agent costs when nothing happens, what one
 * site controller does with 2,000 of them, and how fast it tells a dead
 * host among 500 by the host heartbeat.
 *
 *   npm run bench:site          (~7 minutes; STARLING_BENCH_CPU_PROF=<dir>
 *                                writes a CPU profile of the loaded controller)
 *
 * 1. A real `starling agent` (linux driver) against its own controller at
 *    the default 20 s report interval, host locked and idle: RSS and CPU
 *    from /proc, bytes on the wire through a counting proxy.
 * 2. `starling serve` with 2,000 simulated agents long polling over real
 *    HTTP from a separate process: report handling time from the server's
 *    own histogram, reports/s, controller CPU and RSS, hosts online.
 * 3. `starling serve` with 500 simulated agents pulsing every 100 ms:
 *    heartbeat CPU and bytes, false failures during a CPU-saturation
 *    minute, and kill → degraded / failed latency (site-heartbeat.ts).
 *
 * Every process is separate, so /proc figures are each its own. Missed
 * targets are reported, not failed: the exit code is non-zero only when the
 * benchmark itself goes wrong. Processes, temp folders and ports are
 * released on every path out, Ctrl-C included.
 */
import os from 'node:os';
import { printTable, verdict, type Row } from './lib/report.js';
import { IDLE, idleAgent } from './lib/site-idle.js';
import { LOAD, siteOf2000 } from './lib/site-load.js';
import { HEARTBEAT, heartbeatOf500 } from './lib/site-heartbeat.js';
import { CLK_TCK, openFileLimit, runCleanups } from './lib/site-procs.js';

async function main(): Promise<void> {
  const started = performance.now();
  const cpus = os.cpus();
  console.log('Starling site benchmark');
  console.log(`  machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}`);
  console.log(`  node ${process.version}; open files limit ${openFileLimit()} (inherited by every child); CLK_TCK ${CLK_TCK}`);
  console.log(`  controllers: starling serve, SQLite (WAL) in a temp folder, default report interval ${LOAD.intervalMs / 1000} s`);

  const rows: Row[] = [];
  // STARLING_BENCH_SITE_PARTS=idle,load,heartbeat runs only those parts (all by default).
  const parts = new Set((process.env.STARLING_BENCH_SITE_PARTS ?? 'idle,load,heartbeat').split(','));
  if (parts.has('idle')) {
    console.log(`\n1. Idle real agent: ${IDLE.warmupMs / 1000} s warm-up, then ${IDLE.windowMs / 1000} s measured`);
    rows.push(...(await idleAgent()));
    await runCleanups();
  }

  if (parts.has('load')) {
    console.log(`\n2. One controller, ${LOAD.agents} simulated agents (one swarm process), starts staggered over ${LOAD.intervalMs / 1000} s, ${LOAD.windowMs / 1000} s measured`);
    rows.push(...(await siteOf2000()));
    await runCleanups();
  }

  if (parts.has('heartbeat')) {
    console.log(`\n3. Host heartbeat: one controller, ${HEARTBEAT.hosts} simulated agents pulsing (UDP, 100 ms), unlocked`);
    rows.push(...(await heartbeatOf500()));
    await runCleanups();
  }

  console.log('');
  printTable(rows, 'Scenario');
  const judged = rows.filter((r) => r.target);
  const missed = judged.filter((r) => verdict(r) === 'MISS');
  console.log(`\n${judged.length - missed.length} of ${judged.length} targets met${missed.length ? `; missed: ${missed.map((r) => `${r.backend}: ${r.measure}`).join('; ')}` : ''}`);
  console.log(`wall time ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

// Ctrl-C still stops every child and removes every temp folder.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: cleaning up`);
    void runCleanups().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (err) {
  // Stopping the children on Ctrl-C fails whatever step was waiting on them: not news.
  if (!interrupted) console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await runCleanups();
}
