/**
 * `starling fleet-strategy ...`: the system controller's fleet strategy
 * (StarlingX `dcmanager sw-deploy-strategy | prestage-strategy create |
 * show | apply | abort | delete` and `dcmanager strategy-step list`).
 */
import { Option, type Command } from 'commander';
import type { FleetStepView, FleetStrategyView } from '../../resources/strategies/fleet-strategy.types.js';
import { ALARM_RESTRICTIONS } from '../../resources/strategies/sw-strategy.plan.js';
import type { CliContext } from '../context.js';
import { renderList, renderObject, type OutputFormat } from '../output.js';
import { progressBar } from './strategy.js';

const path = '/api/v1/sw-update-strategy';

function render(format: OutputFormat, s: FleetStrategyView): string {
  if (format !== 'table') return renderObject(format, s);
  const finished = s.steps.complete + s.steps.failed + s.steps.aborted;
  if (s.ca_update) {
    const c = s.ca_update;
    return renderObject(format, {
      'strategy type': s.type,
      state: s.state,
      phase: c.phase ?? (s.state === 'initial' ? 'not started (the new root CA is made on apply)' : 'none'),
      progress: progressBar(finished, s.steps.total),
      steps: `${s.steps.in_progress} in progress, ${s.steps.complete} complete, ${s.steps.failed} failed, ${s.steps.aborted} aborted, ${s.steps.initial} not started`,
      'old root CA': c.old_root ?? '',
      'new root CA': c.new_root ?? '',
      'new root subject': c.subject ?? '',
      'new root expiry': c.expiry_date ?? '',
      'stop on failure': s.stop_on_failure,
      reason: s.reason,
    });
  }
  const summary = renderObject(format, {
    'strategy type': s.type,
    release: s.release_id,
    state: s.state,
    progress: progressBar(finished, s.steps.total),
    steps: `${s.steps.in_progress} in progress, ${s.steps.complete} complete, ${s.steps.failed} failed, ${s.steps.aborted} aborted, ${s.steps.initial} not started`,
    target: s.target.group ? `group ${s.target.group}` : s.target.subcloud ? `subcloud ${s.target.subcloud}` : 'all subclouds',
    'subcloud apply type': s.subcloud_apply_type,
    'max parallel subclouds': s.max_parallel_subclouds,
    'stop on failure': s.stop_on_failure,
    'with prestage': s.with_prestage,
    'prestage bandwidth': s.job?.bytes_per_second ? `${((s.job.bytes_per_second * 8) / 1e6).toFixed(1)} Mbit/s per subcloud` : 'no cap',
    reason: s.reason,
  });
  if (!s.failures_by_cause.length) return summary;
  return [
    summary,
    'Failures by cause:',
    renderList(format, s.failures_by_cause, [
      { header: 'Cause', value: (c) => c.cause },
      { header: 'Subclouds', value: (c) => `${c.count}: ${c.subclouds.join(', ')}${c.count > c.subclouds.length ? ', ...' : ''}` },
      { header: 'What', value: (c) => c.what },
      { header: 'Repair', value: (c) => c.repair },
      { header: 'Evidence (one)', value: (c) => c.evidence.split('\n')[0]!.slice(0, 160) },
    ]),
  ].join('\n');
}

const stepColumns = [
  { header: 'Cloud', value: (s: FleetStepView) => s.cloud },
  { header: 'Stage', value: (s: FleetStepView) => s.stage },
  { header: 'State', value: (s: FleetStepView) => s.state },
  {
    header: 'Progress',
    value: (s: FleetStepView) =>
      s.progress?.bytes && s.state === 'prestaging-packages'
        ? `${Math.floor((s.progress.bytes.done * 100) / Math.max(1, s.progress.bytes.total))}%`
        : s.progress?.steps
          ? progressBar(s.progress.steps.done, s.progress.steps.total, 10)
          : '',
  },
  { header: 'Details', value: (s: FleetStepView) => (s.cause ? `${s.cause.cause}: ${s.cause.where}: ${s.cause.evidence}` : s.details).split('\n')[0]!.slice(0, 160) },
  { header: 'Started', value: (s: FleetStepView) => s.started_at ?? '' },
  { header: 'Finished', value: (s: FleetStepView) => s.finished_at ?? '' },
];

interface CreateOptions {
  release?: string;
  expiryDate?: string;
  subject?: string;
  group?: string;
  subcloud?: string;
  subcloudApplyType?: string;
  maxParallelSubclouds?: string;
  stopOnFailure?: boolean;
  withPrestage?: boolean;
  prestageMbps?: string;
  controllerApplyType?: string;
  workerApplyType?: string;
  maxParallelWorkerHosts?: string;
  alarmRestrictions?: string;
}

const integer = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`${flag}: not a whole number: ${value}`);
  return n;
};

export function registerFleetStrategyCommands(program: Command, ctx: CliContext): void {
  const fleet = program.command('fleet-strategy').description('The fleet strategy on the system controller: roll a release out to subclouds, or rotate the fleet root CA (StarlingX dcmanager sw-deploy-strategy, prestage-strategy, kube-rootca-update-strategy)');
  fleet
    .command('create')
    .description(
      'Create a sw-deploy or prestage strategy (one step per managed, online subcloud that lacks the release), ' +
        'or a ca-update (rotate the fleet root CA: every subcloud trusts both roots, renews under the new one, then drops the old)',
    )
    .argument('<type>', 'sw-deploy | prestage | ca-update')
    .option('--release <id>', 'sw-deploy, prestage: the release (sw-deploy: deployed on the system controller first)')
    .option('--expiry-date <date>', "ca-update: the new root CA's expiry (default ten years from apply)")
    .option('--subject <dn>', 'ca-update: the new root CA\'s subject, e.g. "CN=fleet root CA 2027, O=Example"')
    .option('--group <name>', 'only this subcloud group (its apply type and max parallel apply)')
    .option('--subcloud <name>', 'only this subcloud')
    .addOption(new Option('--subcloud-apply-type <type>', 'parallel, or serial (one at a time)').choices(['parallel', 'serial']))
    .option('--max-parallel-subclouds <n>', 'subclouds at once (1-5000, default 2; prestage at most 250)')
    .option('--stop-on-failure', 'after a failure start nothing new (running steps finish)')
    .option('--with-prestage', 'sw-deploy: fetch the release to each subcloud first')
    .option('--prestage-mbps <n>', 'cap each subcloud\'s fetch at this many Mbit/s')
    .addOption(new Option('--controller-apply-type <type>', "each subcloud's site strategy").choices(['serial', 'ignore']))
    .addOption(new Option('--worker-apply-type <type>', "each subcloud's site strategy").choices(['serial', 'parallel', 'ignore']))
    .option('--max-parallel-worker-hosts <n>', "each subcloud's site strategy (2-10)")
    .addOption(new Option('--alarm-restrictions <level>', "each subcloud's site strategy").choices(ALARM_RESTRICTIONS))
    .action(async (type: string, o: CreateOptions, cmd: Command) => {
      if (type !== 'sw-deploy' && type !== 'prestage' && type !== 'ca-update') throw new Error(`fleet strategy type ${type}: sw-deploy, prestage or ca-update`);
      if (type !== 'ca-update' && !o.release) throw new Error(`--release is required for a ${type} strategy`);
      const mbps = o.prestageMbps === undefined ? undefined : Number(o.prestageMbps);
      if (mbps !== undefined && !(mbps >= 0)) throw new Error(`--prestage-mbps: not a number of Mbit/s: ${o.prestageMbps}`);
      const body = {
        type,
        ...(o.release ? { release: o.release } : {}),
        ...(o.expiryDate ? { expiry_date: o.expiryDate } : {}),
        ...(o.subject ? { subject: o.subject } : {}),
        ...(o.group ? { group: o.group } : {}),
        ...(o.subcloud ? { subcloud: o.subcloud } : {}),
        ...(o.subcloudApplyType ? { subcloud_apply_type: o.subcloudApplyType } : {}),
        ...(o.maxParallelSubclouds !== undefined ? { max_parallel_subclouds: integer('--max-parallel-subclouds', o.maxParallelSubclouds) } : {}),
        ...(o.stopOnFailure ? { stop_on_failure: true } : {}),
        ...(o.withPrestage ? { with_prestage: true } : {}),
        ...(mbps !== undefined ? { prestage_mbps: mbps } : {}),
        ...(o.controllerApplyType ? { controller_apply_type: o.controllerApplyType } : {}),
        ...(o.workerApplyType ? { worker_apply_type: o.workerApplyType } : {}),
        ...(o.maxParallelWorkerHosts !== undefined ? { max_parallel_worker_hosts: integer('--max-parallel-worker-hosts', o.maxParallelWorkerHosts) } : {}),
        ...(o.alarmRestrictions ? { alarm_restrictions: o.alarmRestrictions } : {}),
      };
      ctx.out(render(ctx.format(cmd), await ctx.client().request<FleetStrategyView>('POST', path, { body })));
    });
  fleet
    .command('show')
    .description('Show the fleet strategy: progress, step counts and failures grouped by cause')
    .action(async (_o: unknown, cmd: Command) => ctx.out(render(ctx.format(cmd), await ctx.client().request<FleetStrategyView>('GET', path))));
  fleet
    .command('apply')
    .description('Apply the strategy (it runs in the background; follow it with "fleet-strategy show")')
    .action(async (_o: unknown, cmd: Command) => ctx.out(render(ctx.format(cmd), await ctx.client().request<FleetStrategyView>('POST', `${path}/actions`, { body: { action: 'apply' } }))));
  fleet
    .command('abort')
    .description('Abort: running steps finish, nothing new starts')
    .action(async (_o: unknown, cmd: Command) => ctx.out(render(ctx.format(cmd), await ctx.client().request<FleetStrategyView>('POST', `${path}/actions`, { body: { action: 'abort' } }))));
  fleet
    .command('delete')
    .description('Delete the strategy (not while it applies)')
    .action(async () => {
      await ctx.client().request('DELETE', path);
      ctx.out('Fleet strategy deleted');
    });
  const step = fleet.command('step').description('The steps of the fleet strategy, one per subcloud (dcmanager strategy-step)');
  step
    .command('list')
    .description('List the steps in order')
    .option('--state <state>', 'only steps in this state (initial, complete, failed, aborted, ...)')
    .option('--limit <n>', 'at most this many', '100')
    .option('--offset <n>', 'skip this many', '0')
    .action(async (o: { state?: string; limit: string; offset: string }, cmd: Command) => {
      const query = new URLSearchParams({ limit: String(integer('--limit', o.limit)), offset: String(integer('--offset', o.offset)), ...(o.state ? { state: o.state } : {}) });
      const page = await ctx.client().request<{ items: FleetStepView[]; total: number }>('GET', `${path}/steps?${query.toString()}`);
      const format = ctx.format(cmd);
      ctx.out(format === 'table' ? `${renderList(format, page.items, stepColumns)}\n${page.items.length} of ${page.total} step(s)` : renderObject(format, page));
    });
  step
    .command('show')
    .description("One subcloud's step, with its cause when it failed")
    .argument('<subcloud>')
    .action(async (name: string, _o: unknown, cmd: Command) => ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<FleetStepView>('GET', `${path}/steps/${encodeURIComponent(name)}`))));
}
