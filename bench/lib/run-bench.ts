/** The ending every process-spawning benchmark shares: the table, the targets line, and cleanup on error or Ctrl-C. */
import { fmt, printTable, verdict, type Row } from './report.js';
import { runCleanups } from './site-procs.js';

/** Prints the table and "N of M targets met; missed: ...". */
export function printResults(rows: readonly Row[], firstColumn?: string): void {
  console.log('');
  printTable(rows, firstColumn);
  const judged = rows.filter((r) => r.target);
  const missed = judged.filter((r) => verdict(r) === 'MISS');
  console.log(`\n${judged.length - missed.length} of ${judged.length} targets met${missed.length ? `; missed: ${missed.map((r) => `${r.backend}: ${r.measure.trim()} (${fmt(r.value)} ${r.unit})`).join('; ')}` : ''}`);
}

/** Runs `main`, cleaning up after it whatever happens (and on SIGINT/SIGTERM); an error sets exit code 1. */
export function runBench(main: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
  main()
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => runCleanups());
}
