/** `starling system show | modify` (StarlingX `system show | modify`). */
import { readFileSync } from 'node:fs';
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
  system
    .command('restore-complete')
    .description('Say the restored system is back (hosts and subclouds reconnected): clears 210.002, which "backup restore" leaves standing')
    .action(async () => {
      const { cleared } = await ctx.client().request<{ cleared: string[] }>('POST', '/api/v1/system/restore-complete');
      ctx.out(`restore complete: 210.002 cleared for ${cleared.join(', ')}`);
    });
  system
    .command('platform-show')
    .description('Show DNS servers, NTP servers and the trusted CA bundle (synced to managed subclouds)')
    .action(async (_o: unknown, cmd: Command) => ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('GET', '/api/v1/system/platform'))));
  system
    .command('platform-modify')
    .description('Change DNS servers, NTP servers or the trusted CA bundle; on a system controller, every managed subcloud follows')
    .option('--nameservers <list>', 'comma-separated DNS servers (at most 3; "" for none)')
    .option('--ntpservers <list>', 'comma-separated NTP servers (at most 3; "" for none)')
    .option('--ca-bundle <file>', 'PEM file of trusted CA certificates ("" to remove)')
    .action(async (o: { nameservers?: string; ntpservers?: string; caBundle?: string }, cmd: Command) => {
      const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
      const body = {
        ...(o.nameservers !== undefined ? { dns_servers: list(o.nameservers) } : {}),
        ...(o.ntpservers !== undefined ? { ntp_servers: list(o.ntpservers) } : {}),
        ...(o.caBundle !== undefined ? { ca_bundle: o.caBundle === '' ? '' : readFileSync(o.caBundle, 'utf8') } : {}),
      };
      if (Object.keys(body).length === 0) throw new Error('nothing to change: give --nameservers, --ntpservers or --ca-bundle');
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('PATCH', '/api/v1/system/platform', { body })));
    });
}
