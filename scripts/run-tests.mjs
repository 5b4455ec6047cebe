#!/usr/bin/env node
// Runs every test file with node's test runner (TypeScript through tsx),
// prints the spec report, and ends with one plain line CI can read:
// "N passed, N failed, N skipped". Exits non-zero if any test failed.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];
const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
  else if (p.endsWith('.test.ts')) files.push(p);
};
roots.forEach(walk);

// Files run this many at a time (node's default on 2 CPUs is one): most of the
// end-to-end files spend their time waiting on timers and child processes.
const concurrency = Number(process.env.STARLING_TEST_CONCURRENCY || 2);

mkdirSync('.test-output', { recursive: true });
const tap = join('.test-output', 'results.tap');
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
  { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } },
);
child.on('exit', (code) => {
  const text = readFileSync(tap, 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const skipped = count('skipped');
  if (skipped) {
    const reasons = [...new Set([...text.matchAll(/# SKIP (.*)$/gm)].map((m) => m[1]))];
    console.log(`\n!!! ${skipped} tests SKIPPED:\n${reasons.map((r) => `!!!   ${r}`).join('\n')}`);
  }
  const failed = count('fail') + count('cancelled');
  console.log(`\n${count('pass')} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
