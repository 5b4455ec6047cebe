/** `starling event ...`, after StarlingX's `fm event-*`. */
import type { Command } from 'commander';
import type { EventView } from '../../resources/alarms/alarm.views.js';
import { commaList, type CliContext } from '../context.js';
import { renderList, renderObject } from '../output.js';
import { fetchPages } from '../pages.js';

export function registerEventCommands(program: Command, ctx: CliContext): void {
  const event = program.command('event').description('Event log and suppression (StarlingX fm event-*)');

  event
    .command('list')
    .description('List the event log, newest first')
    .option('--alarms', 'only alarm set/clear events')
    .option('--logs', 'only customer logs')
    .option('--alarm-id <ids>', 'alarm IDs, comma-separated', commaList)
    .option('--severity <severities>', 'severities, comma-separated (also "clear")', commaList)
    .option('--entity <prefix>', 'entity instance id prefix')
    .option('--include-suppressed', 'include suppressed events')
    .option('--limit <n>', 'rows', '100')
    .action(async (o: { alarms?: boolean; logs?: boolean; alarmId?: string[]; severity?: string[]; entity?: string; includeSuppressed?: boolean; limit: string }, cmd: Command) => {
      if (o.alarms && o.logs) throw new Error('give --alarms or --logs, not both');
      const page = await fetchPages<EventView>(
        ctx,
        '/api/v1/events',
        {
          type: o.alarms ? 'alarms' : o.logs ? 'logs' : undefined,
          alarm_id: o.alarmId?.join(','),
          severity: o.severity?.join(','),
          entity: o.entity,
          include_suppressed: o.includeSuppressed,
          limit: o.limit,
        },
        false,
      );
      ctx.out(
        renderList(ctx.format(cmd), page.items, [
          { header: 'UUID', value: (e) => e.uuid },
          { header: 'Time Stamp', value: (e) => e.timestamp },
          { header: 'State', value: (e) => e.alarm_state },
          { header: 'Event Log ID', value: (e) => e.alarm_id },
          { header: 'Reason Text', value: (e) => e.reason_text },
          { header: 'Entity Instance ID', value: (e) => e.entity_instance_id },
          { header: 'Severity', value: (e) => e.severity },
        ]),
      );
    });

  event
    .command('show')
    .description('Show one event')
    .argument('<uuid>', 'event UUID')
    .action(async (uuid: string, _o: unknown, cmd: Command) => {
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('GET', `/api/v1/events/${encodeURIComponent(uuid)}`)));
    });

  const setSuppression = async (alarmIds: string[] | 'all', status: 'suppressed' | 'unsuppressed', cmd: Command) => {
    const { items } = await ctx.client().request<{ items: Array<{ alarm_id: string; suppression_status: string }> }>('PATCH', '/api/v1/suppressions', {
      body: { alarm_ids: alarmIds, suppression_status: status },
    });
    const shown = alarmIds === 'all' ? items : items.filter((s) => alarmIds.includes(s.alarm_id));
    ctx.out(renderList(ctx.format(cmd), shown, [
      { header: 'Event ID', value: (s) => s.alarm_id },
      { header: 'Status', value: (s) => s.suppression_status },
    ]));
  };

  event
    .command('suppress')
    .description('Suppress alarm IDs: still raised and logged, hidden from lists unless asked')
    .requiredOption('--alarm-id <ids>', 'alarm IDs, comma-separated', commaList)
    .action(async (o: { alarmId: string[] }, cmd: Command) => setSuppression(o.alarmId, 'suppressed', cmd));

  event
    .command('unsuppress')
    .description('Unsuppress alarm IDs')
    .requiredOption('--alarm-id <ids>', 'alarm IDs, comma-separated', commaList)
    .action(async (o: { alarmId: string[] }, cmd: Command) => setSuppression(o.alarmId, 'unsuppressed', cmd));

  event
    .command('unsuppress-all')
    .description('Unsuppress every alarm ID')
    .action(async (_o: unknown, cmd: Command) => setSuppression('all', 'unsuppressed', cmd));

  event
    .command('suppress-list')
    .description('Suppressible alarm IDs and their status')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.client().request<{ items: Array<{ alarm_id: string; suppression_status: string; description: string }> }>('GET', '/api/v1/suppressions');
      ctx.out(renderList(ctx.format(cmd), items, [
        { header: 'Event ID', value: (s) => s.alarm_id },
        { header: 'Status', value: (s) => s.suppression_status },
        { header: 'Description', value: (s) => s.description },
      ]));
    });
}
