/**
 * `starling demo`: a standalone controller on SQLite in a data folder of its
 * own, with a few alarms from the catalogue (labelled as demo data), and the
 * URL, login and CLI lines to try printed.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { randomSecret } from '../../core/ids.js';
import { createLogger } from '../../core/logging.js';
import type { RaiseInput } from '../../resources/alarms/fault.service.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { closeOnSignals, configFromFlags } from './serve.js';

const MARKER = '.starling-demo';
const DEMO = '[demo data]';

export const DEMO_ALARMS: RaiseInput[] = [
  { alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var', severity: 'major', reason_text: `${DEMO} Filesystem /var threshold exceeded; threshold 80%, actual 84%` },
  { alarm_id: '100.101', entity_instance_id: 'host=worker-1', severity: 'critical', reason_text: `${DEMO} Platform CPU threshold exceeded; threshold 95%, actual 97%` },
  { alarm_id: '200.001', entity_instance_id: 'host=worker-2', severity: 'warning', reason_text: `${DEMO} worker-2 was administratively locked to take it out of service` },
  { alarm_id: '100.119', entity_instance_id: 'host=controller-0.instance=ptp1.ptp=no-lock', severity: 'major', reason_text: `${DEMO} controller-0 PTP instance ptp1 is not locked` },
  { alarm_id: '500.200', entity_instance_id: 'system.certificate.mode=ssl', severity: 'major', reason_text: `${DEMO} Certificate 'ssl' is expiring soon` },
  { alarm_id: '280.001', entity_instance_id: 'subcloud=rural-site-07', severity: 'critical', reason_text: `${DEMO} rural-site-07 is offline` },
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
    .description('Start a demo: a standalone controller on SQLite with demo alarms (a fresh folder each time)')
    .option('--port <port>', 'HTTP port', '6385')
    .option('--data-dir <dir>', 'demo folder (recreated on each start)', 'starling-demo')
    .action(async (flags: { port: string; dataDir: string }) => {
      const dataDir = resolve(ctx.cwd, flags.dataDir);
      prepareFolder(dataDir);
      const adminPassword = ctx.processEnv.STARLING_ADMIN_PASSWORD || randomSecret(12);
      const config = configFromFlags(ctx, { port: flags.port, dataDir, host: '127.0.0.1', logLevel: ctx.processEnv.STARLING_LOG_LEVEL ?? 'warn' }, { adminPassword, databaseUrl: undefined });
      const { startController } = await import('../../server/start.js');
      const controller = await startController(config, { log: createLogger({ level: config.logLevel }) });
      await controller.fault.batch({
        raise: DEMO_ALARMS,
        log: [{ alarm_id: '401.007', entity_instance_id: 'host=controller-1', severity: 'critical', reason_text: `${DEMO} Swact: controller-1 is now the active controller` }],
      });
      const bin = ctx.self;
      ctx.out(
        [
          '',
          'Starling demo is running (standalone controller, SQLite; all alarms are labelled demo data).',
          '',
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
          '',
          'Ctrl-C stops the demo.',
        ].join('\n'),
      );
      await closeOnSignals(controller, ctx);
    });
}
