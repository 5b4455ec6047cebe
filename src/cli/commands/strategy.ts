/** `starling strategy ...`: the site's sw-deploy strategy (StarlingX `sw-manager sw-deploy-strategy create | show | apply | abort | delete`). */
import { Option, type Command } from 'commander';
import type { StrategyView } from '../../resources/strategies/sw-strategy.service.js';
import { ALARM_RESTRICTIONS } from '../../resources/strategies/sw-strategy.plan.js';
import type { CliContext } from '../context.js';
import { renderList, renderObject, type OutputFormat } from '../output.js';

const path = '/api/v1/orchestration/sw-deploy/strategy';

/** A text progress bar: [#########-----------] 4/9 */
export const progressBar = (done: number, total: number, width = 20): string => {
  const filled = total ? Math.round((done / total) * width) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
};

function render(format: OutputFormat, s: StrategyView, details: boolean): string {
  if (format !== 'table') return renderObject(format, s);
  const summary = renderObject(format, {
    strategy: s.type,
    release: s.options.release,
    state: s.state,
    progress: progressBar(s.progress.done, s.progress.total),
    current: s.current ? `${s.current.stage} / ${s.current.step} ${s.current.entity_names.join(',')}`.trim() : '',
    'controller-apply-type': s.options.controller_apply_type,
    'worker-apply-type': s.options.worker_apply_type,
    'max-parallel-worker-hosts': s.options.max_parallel_worker_hosts,
    'alarm-restrictions': s.options.alarm_restrictions,
    reason: s.reason,
  });
  if (!details) return summary;
  const rows = s.stages.flatMap((stage, i) => stage.steps.map((step, j) => ({ stage: `${i}: ${stage.name}`, step: `${j}: ${step.name}`, ...step })));
  return [
    summary,
    renderList(format, rows, [
      { header: 'Stage', value: (r) => r.stage },
      { header: 'Step', value: (r) => r.step },
      { header: 'Hosts', value: (r) => r.entity_names },
      { header: 'Timeout', value: (r) => `${r.timeout_s} s` },
      { header: 'Result', value: (r) => r.result },
      { header: 'Reason', value: (r) => r.reason.split('\n')[0] },
    ]),
  ].join('\n');
}

export function registerStrategyCommands(program: Command, ctx: CliContext): void {
  const strategy = program.command('strategy').description("This site's software deploy strategy (StarlingX sw-manager sw-deploy-strategy)");
  strategy
    .command('create')
    .description('Build a strategy from the current hosts: stages of steps (query alarms, lock, deploy host, unlock, ...), each with a timeout')
    .argument('<type>', 'sw-deploy')
    .requiredOption('--release <id>', 'the release to deploy')
    .addOption(new Option('--controller-apply-type <type>').choices(['serial', 'ignore']).default('serial'))
    .addOption(new Option('--worker-apply-type <type>').choices(['serial', 'parallel', 'ignore']).default('serial'))
    .option('--max-parallel-worker-hosts <n>', 'workers at once when parallel (2-10)', '2')
    .addOption(new Option('--alarm-restrictions <level>', 'strict: any alarm blocks; relaxed: management-affecting ones; permissive: none').choices(ALARM_RESTRICTIONS).default('strict'))
    .action(async (type: string, o: { release: string; controllerApplyType: string; workerApplyType: string; maxParallelWorkerHosts: string; alarmRestrictions: string }, cmd: Command) => {
      if (type !== 'sw-deploy') throw new Error(`strategy type ${type}: only sw-deploy`);
      const body = {
        release: o.release,
        controller_apply_type: o.controllerApplyType,
        worker_apply_type: o.workerApplyType,
        max_parallel_worker_hosts: Number(o.maxParallelWorkerHosts),
        alarm_restrictions: o.alarmRestrictions,
      };
      ctx.out(render(ctx.format(cmd), await ctx.client().request<StrategyView>('POST', path, { body }), true));
    });
  strategy
    .command('show')
    .description('Show the strategy, its progress and (with --details) every stage and step')
    .option('--details', 'every stage and step with its result')
    .action(async (o: { details?: boolean }, cmd: Command) => ctx.out(render(ctx.format(cmd), await ctx.client().request<StrategyView>('GET', path), Boolean(o.details))));
  strategy
    .command('apply')
    .description('Apply the strategy (it runs in the background; follow it with "strategy show")')
    .action(async (_o: unknown, cmd: Command) => ctx.out(render(ctx.format(cmd), await ctx.client().request<StrategyView>('POST', `${path}/actions`, { body: { action: 'apply-all' } }), false)));
  strategy
    .command('abort')
    .description('Abort: the step in progress finishes, nothing new starts')
    .action(async (_o: unknown, cmd: Command) => ctx.out(render(ctx.format(cmd), await ctx.client().request<StrategyView>('POST', `${path}/actions`, { body: { action: 'abort' } }), false)));
  strategy
    .command('delete')
    .description('Delete the strategy (not while it applies)')
    .action(async () => {
      await ctx.client().request('DELETE', path);
      ctx.out('Strategy deleted');
    });
}
