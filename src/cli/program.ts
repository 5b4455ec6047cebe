/** The `starling` command tree. */
import { Command, Option } from 'commander';
import { VERSION } from '../core/version.js';
import { registerAgentCommand } from './commands/agent.js';
import { registerAlarmCommands } from './commands/alarm.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerEventCommands } from './commands/event.js';
import { registerHostCommands } from './commands/host.js';
import { registerSubcloudCommands } from './commands/subcloud.js';
import { registerSystemCommands } from './commands/system.js';
import { registerServeCommand } from './commands/serve.js';
import { registerReleaseCommands } from './commands/release.js';
import { registerFleetStrategyCommands } from './commands/fleet-strategy.js';
import { registerSoftwareCommands } from './commands/software.js';
import { registerStrategyCommands } from './commands/strategy.js';
import { registerSimCommand } from './commands/sim.js';
import { registerUserCommands } from './commands/user.js';
import { registerCertificateCommands } from './commands/certificate.js';
import { registerBackupCommands } from './commands/backup.js';
import type { CliContext } from './context.js';
import { OUTPUT_FORMATS } from './output.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('starling')
    .description('Starling: edge cloud management after StarlingX.\nLog in once with "starling login"; STARLING_URL and STARLING_TOKEN override the stored login.')
    .version(VERSION)
    // Set before adding commands: subcommands inherit both.
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s.replace(/\n$/, '')), writeErr: (s) => ctx.err(s.replace(/\n$/, '')) })
    .showHelpAfterError('(add --help for usage)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'));

  registerAuthCommands(program, ctx);
  registerAlarmCommands(program, ctx);
  registerEventCommands(program, ctx);
  registerUserCommands(program, ctx);
  registerSystemCommands(program, ctx);
  registerHostCommands(program, ctx);
  registerSubcloudCommands(program, ctx);
  registerSoftwareCommands(program, ctx);
  registerReleaseCommands(program, ctx);
  registerStrategyCommands(program, ctx);
  registerFleetStrategyCommands(program, ctx);
  registerCertificateCommands(program, ctx);
  registerBackupCommands(program, ctx);
  registerServeCommand(program, ctx);
  registerDemoCommand(program, ctx);
  registerAgentCommand(program, ctx);
  registerSimCommand(program, ctx);
  return program;
}
