/** `starling host ...` (StarlingX `system host-*`). */
import { Argument, Option, type Command } from 'commander';
import { CPU_FUNCTIONS, KERNELS, PERSONALITIES } from '../../resources/hosts/host.types.js';
import type { HostView } from '../../resources/hosts/host.views.js';
import { fetchPages } from '../pages.js';
import type { CliContext } from '../context.js';
import { renderList, renderObject } from '../output.js';

const path = (hostname: string) => `/api/v1/hosts/${encodeURIComponent(hostname)}`;

/** `host show`: the host's fields, with inventory and config as JSON lines. */
function hostDetails(h: HostView): Record<string, unknown> {
  const { inventory, config, ...rest } = h;
  return { ...rest, config, inventory };
}

export function registerHostCommands(program: Command, ctx: CliContext): void {
  const host = program.command('host').description('Hosts: inventory, lifecycle and configuration (StarlingX system host-*)');

  host
    .command('list')
    .description('List hosts')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await fetchPages<HostView>(ctx, '/api/v1/hosts', { limit: 1000 }, true);
      ctx.out(
        renderList(ctx.format(cmd), items, [
          { header: 'hostname', value: (h) => h.hostname },
          { header: 'personality', value: (h) => h.personality },
          { header: 'administrative', value: (h) => h.administrative },
          { header: 'operational', value: (h) => h.operational },
          { header: 'availability', value: (h) => h.availability },
          { header: 'task', value: (h) => h.task },
          { header: 'config', value: (h) => h.config_status },
        ]),
      );
    });

  host
    .command('show')
    .description('Show a host, its inventory and configuration')
    .argument('<hostname>')
    .action(async (hostname: string, _o: unknown, cmd: Command) => {
      ctx.out(renderObject(ctx.format(cmd), hostDetails(await ctx.client().request<HostView>('GET', path(hostname)))));
    });

  host
    .command('add')
    .description('Add a host and print its one-time enroll token for "starling agent --enroll-token"')
    .argument('<hostname>')
    .addOption(new Option('--personality <p>', 'personality').choices(PERSONALITIES).makeOptionMandatory())
    .action(async (hostname: string, o: { personality: string }, cmd: Command) => {
      const t = await ctx.client().request<{ host: HostView; enroll_token: string; expires_at: string }>('POST', '/api/v1/hosts', { body: { hostname, personality: o.personality } });
      if (ctx.format(cmd) !== 'table') return ctx.out(renderObject(ctx.format(cmd), t));
      ctx.out(`Added ${t.host.hostname} (${t.host.personality}): ${t.host.administrative}/${t.host.operational}/${t.host.availability}`);
      ctx.out(`Enroll token (one use, until ${t.expires_at}):\n  ${t.enroll_token}`);
      ctx.out(`On the host:\n  ${ctx.self} agent --controller ${ctx.client().url} --enroll-token ${t.enroll_token} --hostname ${t.host.hostname}`);
    });

  host
    .command('enroll-token')
    .description('Issue a new one-time enroll token for a host (after a reinstall)')
    .argument('<hostname>')
    .action(async (hostname: string, _o: unknown, cmd: Command) => {
      const t = await ctx.client().request<{ enroll_token: string; expires_at: string }>('POST', `${path(hostname)}/enroll-token`);
      ctx.out(ctx.format(cmd) === 'table' ? `Enroll token for ${hostname} (one use, until ${t.expires_at}):\n  ${t.enroll_token}` : renderObject(ctx.format(cmd), t));
    });

  const action = (name: string, description: string, withForce = false) => {
    const cmd = host.command(name).description(description).argument('<hostname>');
    if (withForce) cmd.option('--force', 'force lock: also a host that cannot be reached');
    cmd.action(async (hostname: string, o: { force?: boolean }, c: Command) => {
      const h = await ctx.client().request<HostView>('POST', `${path(hostname)}/actions`, { body: { action: name, ...(o.force ? { force: true } : {}) } });
      if (ctx.format(c) !== 'table') return ctx.out(renderObject(ctx.format(c), hostDetails(h)));
      ctx.out(`${h.hostname}: ${h.administrative}/${h.operational}/${h.availability}${h.task ? ` (${h.task})` : ''}${h.controller_role ? `, ${h.controller_role} controller` : ''}`);
    });
  };
  action('lock', 'Lock a host (take it out of service); the active controller only on simplex', true);
  action('unlock', 'Unlock a host: re-apply its configuration and return it to service');
  action('reboot', 'Reboot a locked host');
  action('reinstall', 'Reinstall a locked host');
  action('swact', 'Move the active controller role to the standby controller');

  const printConfig = (h: HostView, c: Command) =>
    ctx.out(ctx.format(c) === 'table' ? `${h.hostname}: config ${h.config_target} (${h.config_status || 'up to date'})\n${JSON.stringify(h.config)}` : renderObject(ctx.format(c), hostDetails(h)));

  host
    .command('cpu-modify')
    .description('Assign a function to CPUs of a locked host (SMT siblings together; a platform core per NUMA node)')
    .argument('<hostname>')
    .addOption(new Option('--function <f>', 'CPU function').choices(CPU_FUNCTIONS).makeOptionMandatory())
    .requiredOption('--cores <list>', 'logical CPU ids, e.g. 2-3,6-7 (see host show: inventory.cpu.cpus)')
    .action(async (hostname: string, o: { function: string; cores: string }, c: Command) =>
      printConfig(await ctx.client().request<HostView>('POST', `${path(hostname)}/cpu`, { body: { function: o.function, cpus: o.cores } }), c),
    );

  host
    .command('memory-modify')
    .description('Set 2M and/or 1G hugepages on a NUMA node of a locked host')
    .argument('<hostname>')
    .requiredOption('--numa <node>', 'NUMA node')
    .option('--hugepages-2m <n>', 'number of 2 MiB pages')
    .option('--hugepages-1g <n>', 'number of 1 GiB pages')
    .action(async (hostname: string, o: { numa: string; hugepages2m?: string; hugepages1g?: string }, c: Command) => {
      if (o.hugepages2m === undefined && o.hugepages1g === undefined) throw new Error('give --hugepages-2m and/or --hugepages-1g');
      const body = {
        numa_node: Number(o.numa),
        ...(o.hugepages2m !== undefined ? { hugepages_2m: Number(o.hugepages2m) } : {}),
        ...(o.hugepages1g !== undefined ? { hugepages_1g: Number(o.hugepages1g) } : {}),
      };
      printConfig(await ctx.client().request<HostView>('POST', `${path(hostname)}/memory`, { body }), c);
    });

  host
    .command('kernel-modify')
    .description('Choose the standard or low-latency kernel for a locked host')
    .argument('<hostname>')
    .addArgument(new Argument('<kernel>', 'kernel').choices(KERNELS))
    .action(async (hostname: string, kernel: string, _o: unknown, c: Command) =>
      printConfig(await ctx.client().request<HostView>('POST', `${path(hostname)}/kernel`, { body: { kernel } }), c),
    );

  host
    .command('delete')
    .description('Delete a locked host')
    .argument('<hostname>')
    .action(async (hostname: string) => {
      await ctx.client().request('DELETE', path(hostname));
      ctx.out(`Deleted host ${hostname}`);
    });
}
