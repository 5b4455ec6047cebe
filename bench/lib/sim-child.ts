/** Starts a simulator child (dc-sim.mjs) and talks to it over IPC: ask() sends a message and waits for the reply of that type. */
import { fork, type ChildProcess } from 'node:child_process';
import type { FromSim, ToSim } from './dc-sim-messages.js';
import { onCleanup } from './site-procs.js';

export type SimChild = ChildProcess & { ask: <T extends FromSim['type']>(m: ToSim, reply: T, timeoutMs: number) => Promise<Extract<FromSim, { type: T }>> };

export function startSim(i: number): SimChild {
  // STARLING_BENCH_SIM_CPU_PROF=<dir> profiles the simulators too (they share the machine's cores with the controller).
  const profDir = process.env.STARLING_BENCH_SIM_CPU_PROF;
  const child = fork(new URL('./dc-sim.mjs', import.meta.url).pathname, [], { execArgv: [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  onCleanup(`stop simulator ${i}`, () => void child.kill('SIGKILL'));
  return Object.assign(child, {
    ask: <T extends FromSim['type']>(m: ToSim, reply: T, timeoutMs: number) =>
      new Promise<Extract<FromSim, { type: T }>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`simulator ${i}: no ${reply} within ${timeoutMs / 1000} s`)), timeoutMs);
        const on = (r: FromSim) => {
          if (r.type !== reply && r.type !== 'failed') return;
          clearTimeout(timer);
          child.off('message', on);
          if (r.type === 'failed') reject(new Error(`simulator ${i}: ${r.message}`));
          else resolve(r as Extract<FromSim, { type: T }>);
        };
        child.on('message', on);
        child.send(m);
      }),
  });
}
