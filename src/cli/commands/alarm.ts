/** `starling alarm ...`, after StarlingX's `fm alarm-*`. */
import { Option, type Command } from 'commander';
import { SEVERITIES } from '../../resources/alarms/catalogue.js';
import type { AlarmView } from '../../resources/alarms/alarm.views.js';
import type { FleetAlarmView } from '../../resources/subclouds/fleet-alarms.js';
import { ALARM_COLUMNS, alarmQuery, FLEET_ALARM_COLUMNS, fleetAlarmQuery, type AlarmListOptions } from '../alarm-list.js';
import { fetchPages } from '../pages.js';
import { commaList, type CliContext } from '../context.js';
import { renderList, renderObject } from '../output.js';
import { watchAlarms } from '../watch.js';

interface FleetSummary {
  totals: Record<string, number>;
  cloud_status: Record<string, number>;
  items: Array<{ name: string; critical: number; major: number; minor: number; warning: number; cloud_status: string }>;
  next_cursor: string | null;
}

async function printFleetSummary(ctx: CliContext, cmd: Command): Promise<void> {
  const client = ctx.client();
  let page = await client.request<FleetSummary>('GET', '/api/v1/fleet/alarm-summary', { query: { limit: 1000 } });
  const items = [...page.items];
  while (page.next_cursor) {
    page = await client.request<FleetSummary>('GET', '/api/v1/fleet/alarm-summary', { query: { limit: 1000, cursor: page.next_cursor } });
    items.push(...page.items);
  }
  const format = ctx.format(cmd);
  if (format !== 'table') return ctx.out(renderObject(format, { totals: page.totals, cloud_status: page.cloud_status, subclouds: items }));
  ctx.out(
    renderList('table', items, [
      { header: 'Subcloud', value: (i) => i.name },
      { header: 'Critical', value: (i) => i.critical },
      { header: 'Major', value: (i) => i.major },
      { header: 'Minor', value: (i) => i.minor },
      { header: 'Warning', value: (i) => i.warning },
      { header: 'Status', value: (i) => i.cloud_status },
    ]),
  );
  const t = page.totals;
  const c = page.cloud_status;
  ctx.out(`Fleet: ${t.critical} critical, ${t.major} major, ${t.minor} minor, ${t.warning} warning; subclouds ${c.critical} critical, ${c.degraded} degraded, ${c.OK} OK`);
}

export function registerAlarmCommands(program: Command, ctx: CliContext): void {
  const alarm = program.command('alarm').description('Active alarms (StarlingX fm alarm-*)');

  alarm
    .command('list')
    .description('List active alarms, newest first')
    .option('--alarm-id <ids>', 'alarm IDs, comma-separated', commaList)
    .addOption(new Option('--severity <severities>', `severities, comma-separated (${SEVERITIES.join(', ')})`).argParser(commaList))
    .option('--entity <prefix>', 'entity instance id prefix, e.g. host=controller-0')
    .option('--mgmt-affecting', 'only management-affecting alarms')
    .option('--degrade-affecting', 'only degrade-affecting alarms')
    .option('--include-suppressed', 'include suppressed alarms')
    .option('--limit <n>', 'rows per page', '100')
    .option('--all', 'fetch every page')
    .option('--watch', 'keep the list on screen, redrawn on every change (Ctrl-C to stop)')
    .option('--fleet', "the subclouds' alarms (on a system controller), with the subcloud's name")
    .option('--subcloud <name>', 'with --fleet: only this subcloud (implies --fleet)')
    .action(async (o: AlarmListOptions, cmd: Command) => {
      if (o.fleet || o.subcloud !== undefined) {
        const page = await fetchPages<FleetAlarmView>(ctx, '/api/v1/fleet/alarms', fleetAlarmQuery(o), Boolean(o.all));
        ctx.out(renderList(ctx.format(cmd), page.items, FLEET_ALARM_COLUMNS));
        if (page.next_cursor && ctx.format(cmd) === 'table') ctx.err(`(more alarms: use --all or --limit)`);
        return;
      }
      if (o.watch) return watchAlarms(ctx, cmd, o);
      const page = await fetchPages<AlarmView>(ctx, '/api/v1/alarms', alarmQuery(o), Boolean(o.all));
      ctx.out(renderList(ctx.format(cmd), page.items, ALARM_COLUMNS));
      if (page.next_cursor && ctx.format(cmd) === 'table') ctx.err(`(more alarms: use --all or --limit)`);
    });

  alarm
    .command('raise')
    .description('Raise an alarm, or update it if already active')
    .requiredOption('--alarm-id <id>', 'alarm ID from the catalogue, e.g. 100.104')
    .requiredOption('--entity <id>', 'entity instance id, e.g. host=controller-0.filesystem=/var')
    .addOption(new Option('--severity <s>', 'severity').choices(SEVERITIES).makeOptionMandatory())
    .requiredOption('--reason <text>', 'reason text (at most 255 characters)')
    .option('--entity-type <type>', "entity type id (default: the definition's)")
    .action(async (o: { alarmId: string; entity: string; severity: string; reason: string; entityType?: string }, cmd: Command) => {
      const a = await ctx.client().request<AlarmView>('POST', '/api/v1/alarms', {
        body: { alarm_id: o.alarmId, entity_instance_id: o.entity, severity: o.severity, reason_text: o.reason, ...(o.entityType ? { entity_type_id: o.entityType } : {}) },
      });
      ctx.out(renderObject(ctx.format(cmd), a));
    });

  alarm
    .command('clear')
    .description('Clear an active alarm')
    .requiredOption('--alarm-id <id>', 'alarm ID')
    .requiredOption('--entity <id>', 'entity instance id')
    .action(async (o: { alarmId: string; entity: string }) => {
      await ctx.client().request('POST', '/api/v1/alarms/clear', { body: { alarm_id: o.alarmId, entity_instance_id: o.entity } });
      ctx.out(`Cleared ${o.alarmId} on ${o.entity}`);
    });

  alarm
    .command('show')
    .description('Show one alarm')
    .argument('<uuid>', 'alarm UUID')
    .action(async (uuid: string, _o: unknown, cmd: Command) => {
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('GET', `/api/v1/alarms/${encodeURIComponent(uuid)}`)));
    });

  alarm
    .command('delete')
    .description('Delete a stale alarm by UUID (admin)')
    .argument('<uuid>', 'alarm UUID')
    .action(async (uuid: string) => {
      await ctx.client().request('DELETE', `/api/v1/alarms/${encodeURIComponent(uuid)}`);
      ctx.out(`Deleted alarm ${uuid}`);
    });

  alarm
    .command('summary')
    .description('Active alarm counts by severity; --fleet: per subcloud with cloud_status (dcmanager alarm summary)')
    .option('--fleet', 'every subcloud of this system controller')
    .action(async (o: { fleet?: boolean }, cmd: Command) => {
      if (o.fleet) return printFleetSummary(ctx, cmd);
      const s = await ctx.client().request<Record<string, number>>('GET', '/api/v1/alarms/summary');
      const format = ctx.format(cmd);
      if (format !== 'table') return ctx.out(renderObject(format, s));
      ctx.out(renderList('table', [s], ['critical', 'major', 'minor', 'warning', 'suppressed'].map((k) => ({ header: k[0]!.toUpperCase() + k.slice(1), value: (r: Record<string, number>) => r[k] }))));
    });

  alarm
    .command('definitions')
    .description('The alarm catalogue, or one definition')
    .argument('[alarm-id]', 'show this definition')
    .action(async (id: string | undefined, _o: unknown, cmd: Command) => {
      const client = ctx.client();
      if (id) return ctx.out(renderObject(ctx.format(cmd), await client.request<object>('GET', `/api/v1/alarm-definitions/${encodeURIComponent(id)}`)));
      const { items } = await client.request<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/alarm-definitions');
      ctx.out(
        renderList(ctx.format(cmd), items, [
          { header: 'Alarm ID', value: (d) => d.alarm_id },
          { header: 'Kind', value: (d) => d.kind },
          { header: 'Severities', value: (d) => d.severities },
          { header: 'Mgmt Affecting', value: (d) => d.mgmt_affecting_severity },
          { header: 'Suppressible', value: (d) => d.suppressible },
          { header: 'Description', value: (d) => d.description },
        ]),
      );
    });
}
