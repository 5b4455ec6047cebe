/** `starling system show | modify` (StarlingX `system show | modify`). */
import { Option, type Command } from 'commander';
import { SYSTEM_MODES } from '../../core/config.js';
import type { CliContext } from '../context.js';
import { renderObject } from '../output.js';

export function registerSystemCommands(program: Command, ctx: CliContext): void {
  const system = program.command('system').description('The system: name, mode, role');
  system
    .command('show')
    .description('Show the system')
    .action(async (_o: unknown, cmd: Command) => ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('GET', '/api/v1/system'))));
  system
    .command('modify')
    .description('Rename the system, or change its mode (simplex → duplex only, controller-0 locked, never back)')
    .option('--name <name>', 'new system name')
    .addOption(new Option('--mode <mode>', 'new system mode').choices(SYSTEM_MODES))
    .action(async (o: { name?: string; mode?: string }, cmd: Command) => {
      if (!o.name && !o.mode) throw new Error('give --name and/or --mode');
      const body = { ...(o.name ? { name: o.name } : {}), ...(o.mode ? { mode: o.mode } : {}) };
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('PATCH', '/api/v1/system', { body })));
    });
}
