/**
 * A simulator child for the dc bench: one FleetSimulator (the product's
 * `starling sim` engine) driven over IPC, so several can run side by side in
 * their own processes and the controller's /proc figures stay its own.
 *
 * Plain JavaScript over the compiled dist/ (what `npm run bench:dc` just
 * built), run by node without the TypeScript loader, as `starling sim` runs:
 * under tsx every dynamic import the simulator makes is resolved on the
 * loader's hooks thread, CPU that the product never spends and that the
 * controller would lose on this shared machine. Messages: dc-sim-messages.ts.
 */
import { performance } from 'node:perf_hooks';

const dist = (path) => import(new URL(`../../dist/${path}`, import.meta.url).href);
const { silentLogger } = await dist('core/logging.js');
const { FleetSimulator } = await dist('sim/fleet-sim.js');
const { parseProfile } = await dist('sim/wan/profile.js');

const send = (m) => process.send(m);
let sim;

process.on('message', (m) => {
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
          concurrency: m.concurrency ?? 64,
          ...(m.deployMs !== undefined ? { deployMs: m.deployMs } : {}),
          ...(m.group ? { group: m.group } : {}),
          log: silentLogger(),
        });
        const t0 = performance.now();
        await sim.prepare();
        send({ type: 'prepared', added: m.count - sim.failed.length, failed: sim.failed.length, ms: performance.now() - t0, ...(sim.failed[0] ? { firstFailure: sim.failed[0].reason } : {}) });
      } else if (m.type === 'start') {
        const t0 = performance.now();
        // Enrollment is fast; let many be in flight, as a fleet coming up would.
        await sim.start();
        send({ type: 'started', started: sim.sites.length, failed: sim.failed.length, ms: performance.now() - t0, ...(sim.failed[0] ? { firstFailure: sim.failed[0].reason } : {}) });
      } else if (m.type === 'cut') {
        send({ type: 'cut', names: sim.cut(m.count).map((s) => s.name) });
      } else if (m.type === 'restore') {
        sim.restore();
        send({ type: 'restored' });
      } else if (m.type === 'laggards') {
        send({ type: 'laggards', ...sim.laggards() });
      } else if (m.type === 'stop') {
        await sim?.stop();
        send({ type: 'stopped' });
        process.exit(0);
      }
    } catch (err) {
      send({ type: 'failed', message: err.stack ?? String(err) });
    }
  })();
});
