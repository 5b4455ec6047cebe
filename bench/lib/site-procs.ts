/**
 * Child processes for the site bench, and what /proc says about them.
 *
 * Everything runs as a separate process (the built `bin/starling.js`, as an
 * operator would run it) so that CPU and memory figures are per process, not
 * shared with this script. Every process, folder and port is registered for
 * cleanup the moment it exists, so an error or Ctrl-C part-way leaves
 * nothing behind.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/starling.js', import.meta.url));
export const ADMIN_PASSWORD = 'bench-admin-password';

// ---------------------------------------------------------------- cleanup

/** Undo steps, run last-in first-out by `runCleanups`. */
const cleanups: Array<{ what: string; run: () => Promise<void> | void }> = [];

export function onCleanup(what: string, run: () => Promise<void> | void): void {
  cleanups.push({ what, run });
}

export async function runCleanups(): Promise<void> {
  while (cleanups.length) {
    const step = cleanups.pop()!;
    try {
      await step.run();
    } catch (err) {
      console.error(`cleanup "${step.what}" failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  }
}

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `starling-site-bench-${label}-`));
  onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------- processes

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** Everything it printed, for error messages. */
  output: () => string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Idempotent. */
  stop: (graceMs?: number) => Promise<void>;
}

/** Spawns `node args...` with only the environment given (plus PATH), registered for cleanup. */
export function spawnNode(label: string, args: string[], env: Record<string, string>, extraStdio: Array<'ipc'> = []): Proc {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', ...extraStdio],
  });
  if (child.pid === undefined) throw new Error(`could not start ${label}`);
  let text = '';
  const keep = (d: Buffer) => void (text = (text + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  onCleanup(`stop ${label} (pid ${child.pid})`, () => stop());
  return { child, pid: child.pid, output: () => text, stop };
}

/**
 * `starling serve` on a free port, SQLite in its own temp folder (or
 * `serveArgs` such as --database-url); resolves
 * with its URL once it listens. `nodeArgs` go before the script (Node 20
 * refuses --cpu-prof in NODE_OPTIONS).
 */
export async function startServe(label: string, nodeArgs: string[] = [], serveArgs: string[] = []): Promise<Proc & { url: string; dataDir: string; ca: string | undefined }> {
  const dataDir = tempDir(label);
  const proc = spawnNode(
    label,
    [...nodeArgs, BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--system-mode', 'standard', ...serveArgs],
    { STARLING_ADMIN_PASSWORD: ADMIN_PASSWORD, STARLING_LOG_LEVEL: 'warn' },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start:\n${proc.output()}`)), 30_000);
    const check = () => {
      const m = /controller at (https?:\/\/\S+) /.exec(proc.output());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.child.stdout!.on('data', check);
    proc.child.once('exit', () => reject(new Error(`${label} exited early:\n${proc.output()}`)));
  });
  // serve prints the CA file before its URL line; plain HTTP (--insecure-http) has none.
  const caFile = /clients trust the CA in (\S+) /.exec(proc.output())?.[1];
  return { ...proc, url, dataDir, ca: caFile ? readFileSync(caFile, 'utf8') : undefined };
}

// ---------------------------------------------------------------- /proc

/** Kernel clock ticks per second: the unit of utime/stime in /proc/PID/stat. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: count fields after its closing ')'. utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds of every process whose command is `comm` (the PostgreSQL server's backends), those alive now. */
export function cpuSecondsOfCommand(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) total += cpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** A field of /proc/PID/status in MB (VmRSS: resident now; VmHWM: the peak since start). */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/**
 * Watches a process over a window: CPU seconds at both ends, RSS sampled
 * every second. CPU % is of one core (100 % = one core busy all window).
 */
export function watchProcess(pid: number): { end: () => { seconds: number; cpuPct: number; rssMaxMb: number; rssEndMb: number; hwmMb: number } } {
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  let rssMax = statusMb(pid, 'VmRSS');
  const timer = setInterval(() => (rssMax = Math.max(rssMax, statusMb(pid, 'VmRSS'))), 1000);
  return {
    end: () => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      const rssEndMb = statusMb(pid, 'VmRSS');
      return { seconds, cpuPct: ((cpuSeconds(pid) - cpu0) / seconds) * 100, rssMaxMb: Math.max(rssMax, rssEndMb), rssEndMb, hwmMb: statusMb(pid, 'VmHWM') };
    },
  };
}

/** Soft limit on open files for processes started from here (children inherit it). */
export function openFileLimit(): string {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? `${m[1]} (hard ${m[2]})` : 'unknown';
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
