/**
 * `starling sim`: the fleet simulator as a product feature. Brings up N
 * virtual subclouds against a system controller, behind a simulated WAN, so
 * an operator can rehearse a rollout against a copy of the fleet's shape.
 */
import type { Command } from 'commander';
import { InputError } from '../../core/errors.js';
import { resolveTarget } from '../credentials.js';
import { readCaFile } from '../trust.js';
import type { CliContext } from '../context.js';

interface SimFlags {
  systemController?: string;
  token?: string;
  caFile?: string;
  subclouds: string;
  hostsPerSubcloud: string;
  profile: string;
  seed: string;
  prefix: string;
  group?: string;
  alarmRate: string;
  concurrency: string;
  deploySeconds: string;
  deployFailRate: string;
  duration?: string;
  removeOnExit?: boolean;
}

function rate(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InputError(`deploy-fail-rate: a share from 0 to 1, not ${JSON.stringify(value)}`, 'deploy-fail-rate');
  return n;
}

function count(value: string, field: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`${field}: must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`, field);
  return n;
}

export function registerSimCommand(program: Command, ctx: CliContext): void {
  program
    .command('sim')
    .description('Fleet simulator: N virtual subclouds (real protocol, real HTTP) behind a simulated WAN, to rehearse against a copy of your fleet')
    .requiredOption('--subclouds <n>', 'how many virtual subclouds (1-20000 per process; run several with different --prefix for more)')
    .option('--system-controller <url>', 'system controller (default: the stored login or STARLING_URL)')
    .option('--token <token>', "an operator's token there (default: the stored login or STARLING_TOKEN)")
    .option('--ca-file <file>', "the system controller's CA (PEM) for the simulator's API calls (default: the stored login's, or STARLING_CA_FILE)")
    .option('--hosts-per-subcloud <k>', 'hosts in each (1 = AIO-Simplex, 2 = AIO-Duplex, more = standard)', '1')
    .option('--profile <spec>', 'WAN profile: lan, metro, lte, rural, leo, satellite, with overrides such as "rural,loss=0.02,latency=100"', 'lan')
    .option('--seed <s>', 'same seed, same run (jitter, losses, outages, alarms)', '1')
    .option('--prefix <p>', 'name prefix (PREFIX-00001 ...); keeps several simulator processes apart', 'sim')
    .option('--group <g>', 'subcloud group to add them to (default: Default)')
    .option('--alarm-rate <n>', 'alarm raises/clears per subcloud per hour', '2')
    .option('--concurrency <n>', 'adds and enrollments in flight at once', '32')
    .option('--deploy-seconds <s>', 'how long a simulated software deploy takes on a subcloud (fleet strategies)', '30')
    .option('--deploy-fail-rate <r>', 'share of simulated deploys that fail their health check, 0 to 1 (seeded)', '0')
    .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--remove-on-exit', 'delete the simulated subclouds from the system controller when stopping')
    .addHelpText(
      'after',
      '\nEvery subcloud it creates is labelled "[simulated]" in its description; a name clash with a real subcloud is refused.\nAll its subclouds connect from this machine\'s one address: beyond 256, start the system controller with --max-connections-per-address 0 (or a higher cap).\nExample: starling sim --subclouds 500 --hosts-per-subcloud 2 --profile satellite --seed 7 --prefix rehearsal',
    )
    .action(async (flags: SimFlags) => {
      const { parseProfile } = await import('../../sim/wan/profile.js');
      const { FleetSimulator } = await import('../../sim/fleet-sim.js');
      const target = flags.systemController && flags.token ? { url: flags.systemController, token: flags.token, ca: undefined } : resolveTarget(ctx.env);
      const caFile = flags.caFile ?? ctx.env.caFile;
      const ca = caFile ? readCaFile(caFile) : target.ca;
      const controller = flags.systemController ?? target.url;
      const token = flags.token ?? target.token;
      if (!token) throw new InputError('token: log in first ("starling login") or give --token', 'token');
      const subclouds = count(flags.subclouds, 'subclouds', 1, 20_000);
      const sim = new FleetSimulator({
        controller,
        token,
        ...(ca ? { ca } : {}),
        subclouds,
        hostsPerSubcloud: count(flags.hostsPerSubcloud, 'hosts-per-subcloud', 1, 100),
        profile: parseProfile(flags.profile),
        seed: flags.seed,
        prefix: flags.prefix,
        ...(flags.group ? { group: flags.group } : {}),
        alarmChurnPerHour: Number(flags.alarmRate) || 0,
        concurrency: count(flags.concurrency, 'concurrency', 1, 1000),
        deployMs: count(flags.deploySeconds, 'deploy-seconds', 0, 86_400) * 1000,
        deployFailRate: rate(flags.deployFailRate),
      });
      ctx.out(`Simulating ${subclouds} subclouds (${flags.prefix}-00001 ...) against ${controller}, profile ${flags.profile}, seed ${flags.seed} [simulated]`);
      let lastShown = 0;
      await sim.start((started, failed) => {
        if (started + failed === subclouds || Date.now() - lastShown > 2000) {
          lastShown = Date.now();
          ctx.out(`  enrolled ${started}/${subclouds}${failed ? `, ${failed} failed` : ''}`);
        }
      });
      for (const f of sim.failed.slice(0, 5)) ctx.err(`  ${f.name}: ${f.reason}`);
      const status = setInterval(() => {
        const down = sim.sites.filter((s) => !s.link.isUp()).length;
        const alarms = sim.sites.reduce((n, s) => n + s.site.activeAlarms, 0);
        ctx.out(`  connected ${sim.connected}/${sim.sites.length}, links down ${down}, active alarms ${alarms}`);
      }, 10_000);
      status.unref();
      await new Promise<void>((resolve) => {
        if (flags.duration) setTimeout(resolve, count(flags.duration, 'duration', 1, 31 * 24 * 3600) * 1000);
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      clearInterval(status);
      ctx.out('stopping the simulated subclouds');
      await sim.stop();
      if (flags.removeOnExit) ctx.out(`removed ${await sim.remove()} simulated subclouds`);
    });
}
