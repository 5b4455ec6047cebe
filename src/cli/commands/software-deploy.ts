/** `starling software deploy ...` (StarlingX USM `software deploy precheck | start | host | activate | complete | abort | host-rollback | activate-rollback | delete | show | host-list`). */
import type { Command } from 'commander';
import type { DeployView, HostDeployView, PrecheckResult } from '../../resources/software/deploy.service.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderList, renderObject, type OutputFormat } from '../output.js';

const base = '/api/v1/software/deploy';

function renderDeploy(format: OutputFormat, d: DeployView): string {
  if (format !== 'table') return renderObject(format, d);
  const { hosts, ...rest } = d;
  return [renderObject(format, rest), renderHosts(format, hosts)].join('\n');
}

function renderHosts(format: OutputFormat, hosts: HostDeployView[]): string {
  return renderList(format, hosts, [
    { header: 'Host', value: (h) => h.hostname },
    { header: 'Running', value: (h) => h.running ?? '(base)' },
    { header: 'Deploy State', value: (h) => h.state },
    { header: 'Error', value: (h) => (h.error ? h.error.split('\n')[0] : '') },
  ]);
}

export function registerDeployCommands(software: Command, ctx: CliContext): void {
  const deploy = software.command('deploy').description('Deploy a release on this site, host by host, with rollback');

  deploy
    .command('precheck')
    .description('Check a release can be deployed: alarms, hosts unlocked/enabled/available, requires, disk')
    .argument('<release>')
    .option('-f, --force', 'ignore management-affecting alarms')
    .action(async (release: string, o: { force?: boolean }, cmd: Command) => {
      const r = await ctx.client().request<PrecheckResult>('POST', `${base}/precheck`, { body: { release, force: Boolean(o.force) } });
      const format = ctx.format(cmd);
      if (format !== 'table') return ctx.out(renderObject(format, r));
      ctx.out(renderList(format, r.findings, [
        { header: 'Check', value: (f) => f.check },
        { header: 'Result', value: (f) => (f.ok ? 'ok' : 'FAILED') },
        { header: 'Detail', value: (f) => f.detail },
      ]));
      if (!r.ok) throw new CliError(`${release}: precheck failed`);
      ctx.out(`${release}: precheck passed`);
    });
  deploy
    .command('start')
    .description('Start deploying a release (runs the precheck first)')
    .argument('<release>')
    .option('-f, --force', 'ignore management-affecting alarms')
    .action(async (release: string, o: { force?: boolean }, cmd: Command) =>
      ctx.out(renderDeploy(ctx.format(cmd), await ctx.client().request<DeployView>('POST', `${base}/start`, { body: { release, force: Boolean(o.force) } }))),
    );
  deploy
    .command('host')
    .description("Deploy the release on a host; a reboot-required release needs the host locked (then unlock it)")
    .argument('<hostname>')
    .action(async (host: string, _o: unknown, cmd: Command) => ctx.out(renderDeploy(ctx.format(cmd), await ctx.client().request<DeployView>('POST', `${base}/hosts/${encodeURIComponent(host)}`, { body: {} }))));
  deploy
    .command('host-rollback')
    .description('Roll a host back after an abort')
    .argument('<hostname>')
    .action(async (host: string, _o: unknown, cmd: Command) =>
      ctx.out(renderDeploy(ctx.format(cmd), await ctx.client().request<DeployView>('POST', `${base}/hosts/${encodeURIComponent(host)}/rollback`, { body: {} }))),
    );
  for (const [name, description] of [
    ['activate', 'Activate the release once every host is deployed'],
    ['complete', 'Complete the deploy: the release becomes deployed'],
    ['abort', 'Abort the deploy and start rolling it back'],
    ['activate-rollback', 'Undo the activation after an abort'],
  ] as const) {
    deploy
      .command(name)
      .description(description)
      .action(async (_o: unknown, cmd: Command) => ctx.out(renderDeploy(ctx.format(cmd), await ctx.client().request<DeployView>('POST', `${base}/${name}`, { body: {} }))));
  }
  deploy
    .command('delete')
    .description('Clear a completed or rolled-back deploy')
    .action(async () => {
      await ctx.client().request('DELETE', base);
      ctx.out('Deploy deleted');
    });
  deploy
    .command('show')
    .description('Show the deploy in progress')
    .action(async (_o: unknown, cmd: Command) => ctx.out(renderDeploy(ctx.format(cmd), await ctx.client().request<DeployView>('GET', base))));
  deploy
    .command('host-list')
    .description('Each host: the release it runs and its deploy state')
    .action(async (_o: unknown, cmd: Command) => ctx.out(renderHosts(ctx.format(cmd), (await ctx.client().request<{ items: HostDeployView[] }>('GET', `${base}/hosts`)).items)));
}
