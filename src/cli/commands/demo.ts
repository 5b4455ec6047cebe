/**
 * `starling demo`: the tour a newcomer takes. A system controller on
 * SQLite in a data folder of its own, a simulated fleet around it (groups
 * behind metro, LTE and satellite links, some offline, some unmanaged, a
 * few alarms), four simulated hosts with agents, and a signed sample
 * release ready to roll out (src/sim/demo-fleet.ts); then the dashboard
 * URL, the login and CLI lines to try. Everything simulated says so.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { randomPassword } from '../../core/ids.js';
import { createLogger } from '../../core/logging.js';
import type { RaiseInput } from '../../resources/alarms/fault.service.js';
import { createClient } from '../client.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import type { DemoFleet } from '../../sim/demo-fleet.js';
import { closeOnSignals, configFromFlags } from './serve.js';


const MARKER = '.starling-demo';
const DEMO = '[demo data]';

export const DEMO_ALARMS: RaiseInput[] = [
  { alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var', severity: 'major', reason_text: `${DEMO} Filesystem /var threshold exceeded; threshold 80%, actual 84%` },
  { alarm_id: '100.101', entity_instance_id: 'host=worker-1', severity: 'critical', reason_text: `${DEMO} Platform CPU threshold exceeded; threshold 95%, actual 97%` },
  { alarm_id: '100.119', entity_instance_id: 'host=controller-0.instance=ptp1.ptp=no-lock', severity: 'major', reason_text: `${DEMO} controller-0 PTP instance ptp1 is not locked` },
  { alarm_id: '500.200', entity_instance_id: 'system.certificate.mode=ssl', severity: 'major', reason_text: `${DEMO} Certificate 'ssl' is expiring soon` },
];

/** Empties a previous demo's folder; refuses a folder the demo did not create. */
function prepareFolder(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, MARKER))) throw new CliError(`${dir} exists and is not a demo folder; choose another with --data-dir`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, MARKER), 'Created by "starling demo"; deleted and recreated on every demo start.\n');
}

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('Start the demo: a system controller on SQLite with a simulated fleet, hosts and a signed sample release, and the dashboard (a fresh folder each time)')
    .option('--port <port>', 'HTTP port', '6385')
    .option('--data-dir <dir>', 'demo folder (recreated on each start)', 'starling-demo')
    .option('--subclouds <n>', 'simulated subclouds (0: none)', '240')
    .option('--deploy-seconds <s>', 'how long a simulated software deploy takes on a subcloud', '20')
    .action(async (flags: { port: string; dataDir: string; subclouds: string; deploySeconds: string }) => {
      const subclouds = Number(flags.subclouds);
      if (!Number.isInteger(subclouds) || subclouds < 0 || subclouds > 2000) throw new CliError(`--subclouds: a whole number from 0 to 2000, not "${flags.subclouds}"`);
      const deploySeconds = Number(flags.deploySeconds);
      if (!Number.isFinite(deploySeconds) || deploySeconds < 0 || deploySeconds > 3600) throw new CliError(`--deploy-seconds: 0 to 3600, not "${flags.deploySeconds}"`);
      const dataDir = resolve(ctx.cwd, flags.dataDir);
      prepareFolder(dataDir);
      const adminPassword = ctx.processEnv.STARLING_ADMIN_PASSWORD || randomPassword(12);
      // No per-address cap: the simulated fleet's subclouds all connect from 127.0.0.1. A system controller: only it adds subclouds.
      const config = await configFromFlags(ctx, { port: flags.port, dataDir, host: '127.0.0.1', logLevel: ctx.processEnv.STARLING_LOG_LEVEL ?? 'warn' }, { adminPassword, databaseUrl: undefined, insecureHttp: true, maxConnectionsPerAddress: 0, role: 'systemcontroller' });
      // Loaded here, not at the top, as serve does: other commands must not pay for them.
      const { startController } = await import('../../server/start.js');
      const { DemoFleet, DEMO_RELEASE } = await import('../../sim/demo-fleet.js');
      const controller = await startController(config, { log: createLogger({ level: config.logLevel }) });
      let fleet: DemoFleet | undefined;
      if (subclouds > 0) {
        ctx.out(`Building the simulated fleet: ${subclouds} subclouds in 3 groups, 4 hosts, a signed sample release …`);
        const { token } = await createClient(controller.url, undefined).request<{ token: string }>('POST', '/api/v1/auth/login', { body: { username: 'admin', password: adminPassword } });
        // The simulated links' retries are the simulation working, not news for the operator.
        fleet = new DemoFleet({ controller: controller.url, token, api: createClient(controller.url, token), dataDir, log: createLogger({ level: 'error' }), subclouds, deployMs: deploySeconds * 1000 });
        await fleet.start();
      }
      await controller.fault.batch({
        raise: DEMO_ALARMS,
        log: [{ alarm_id: '401.007', entity_instance_id: 'host=controller-1', severity: 'critical', reason_text: `${DEMO} Swact: controller-1 is now the active controller` }],
      });
      const bin = ctx.self;
      ctx.out(
        [
          '',
          'Starling demo is running: a system controller on SQLite.',
          subclouds > 0
            ? `Simulated: ${subclouds} subclouds in groups rail-backbone (metro), rural-lte (LTE) and forest-sensors (satellite), 4 hosts, and the signed sample release ${DEMO_RELEASE}.`
            : 'No simulated fleet (--subclouds 0).',
          'Everything simulated is labelled [simulated]; the demo alarms are labelled [demo data].',
          'The demo serves plain HTTP on 127.0.0.1 only, so nothing leaves this machine; "starling serve" serves HTTPS with its own CA.',
          '',
          `  Dashboard: ${controller.url}/`,
          `  URL:       ${controller.url}`,
          `  API docs:  ${controller.url}/api/docs`,
          `  Login:     admin / ${adminPassword}`,
          `  Data:      ${dataDir}`,
          '',
          'Try, in another terminal:',
          `  ${bin} login --url ${controller.url} --username admin --password '${adminPassword}'`,
          `  ${bin} alarm list`,
          `  ${bin} alarm summary`,
          `  ${bin} alarm raise --alarm-id 100.103 --entity host=worker-1 --severity major --reason "Memory threshold exceeded"`,
          `  ${bin} event list --limit 10`,
          `  ${bin} event suppress --alarm-id 100.104`,
          `  ${bin} alarm list --watch`,
          ...(subclouds > 0
            ? [
                `  ${bin} subcloud list`,
                `  ${bin} fleet-strategy create sw-deploy --release ${DEMO_RELEASE} --group rural-lte`,
                `  ${bin} fleet-strategy apply && ${bin} fleet-strategy show`,
              ]
            : []),
          '',
          'Ctrl-C stops the demo.',
        ].join('\n'),
      );
      await closeOnSignals(controller, ctx, () => fleet?.stop());
    });
}
