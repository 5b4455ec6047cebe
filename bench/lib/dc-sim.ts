/**
 * A simulator child for the dc bench: one FleetSimulator (the product's
 * `starling sim` engine) driven over IPC, so several can run side by side in
 * their own processes and the controller's /proc figures stay its own.
 */
import type * as LoggingModule from '../../src/core/logging.js';
import type * as FleetSimModule from '../../src/sim/fleet-sim.js';
import type * as ProfileModule from '../../src/sim/wan/profile.js';

// Runtime from dist/ (what `npm run bench:dc` just built, as `starling sim`
// runs), types from src/: through tsx, every dynamic import the simulator
// makes goes through the loader's hooks thread, CPU the product never spends.
const fromDist = async <T>(path: string): Promise<T> => (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
const { silentLogger } = await fromDist<typeof LoggingModule>('core/logging.js');
const { FleetSimulator } = await fromDist<typeof FleetSimModule>('sim/fleet-sim.js');
const { parseProfile } = await fromDist<typeof ProfileModule>('sim/wan/profile.js');

export type ToSim =
  | { type: 'prepare'; controller: string; token: string; ca?: string; count: number; prefix: string; seed: string; profile: string; deployMs?: number; alarmChurnPerHour?: number; group?: string; concurrency?: number }
  | { type: 'start' }
  | { type: 'cut'; count: number }
  | { type: 'restore' }
  | { type: 'stop' };
export type FromSim =
  | { type: 'prepared'; added: number; failed: number; ms: number }
  | { type: 'started'; started: number; failed: number; ms: number; firstFailure?: string }
  | { type: 'cut'; names: string[] }
  | { type: 'restored' }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

const send = (m: FromSim) => process.send!(m);
let sim: FleetSimModule.FleetSimulator | undefined;

process.on('message', (m: ToSim) => {
  void (async () => {
    try {
      if (m.type === 'prepare') {
        sim = new FleetSimulator({
          controller: m.controller,
          token: m.token,
          ...(m.ca ? { ca: m.ca } : {}),
          subclouds: m.count,
          hostsPerSubcloud: 1,
          profile: parseProfile(m.profile),
          seed: m.seed,
          prefix: m.prefix,
          alarmChurnPerHour: m.alarmChurnPerHour ?? 2,
          concurrency: m.concurrency ?? 16,
          ...(m.deployMs !== undefined ? { deployMs: m.deployMs } : {}),
          ...(m.group ? { group: m.group } : {}),
          log: silentLogger(),
        });
        const t0 = performance.now();
        await sim.prepare();
        send({ type: 'prepared', added: m.count - sim.failed.length, failed: sim.failed.length, ms: performance.now() - t0 });
      } else if (m.type === 'start') {
        const t0 = performance.now();
        // Enrollment is fast; let many be in flight, as a fleet coming up would.
        await sim!.start();
        send({ type: 'started', started: sim!.sites.length, failed: sim!.failed.length, ms: performance.now() - t0, ...(sim!.failed[0] ? { firstFailure: sim!.failed[0].reason } : {}) });
      } else if (m.type === 'cut') {
        send({ type: 'cut', names: sim!.cut(m.count).map((s) => s.name) });
      } else if (m.type === 'restore') {
        sim!.restore();
        send({ type: 'restored' });
      } else if (m.type === 'stop') {
        await sim?.stop();
        send({ type: 'stopped' });
        process.exit(0);
      }
    } catch (err) {
      send({ type: 'failed', message: (err as Error).stack ?? String(err) });
    }
  })();
});
