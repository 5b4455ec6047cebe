/** `starling subcloud ...` and `starling subcloud-group ...` (dcmanager). */
import { Option, type Command } from 'commander';
import type { GroupView } from '../../resources/subclouds/group.service.js';
import type { FleetErrorGroup, SubcloudErrorView } from '../../resources/subclouds/subcloud-errors.js';
import type { SubcloudDetail, SubcloudView } from '../../resources/subclouds/subcloud.service.js';
import { APPLY_TYPES } from '../../resources/subclouds/subcloud.types.js';
import type { CliContext } from '../context.js';
import { renderList, renderObject } from '../output.js';
import { fetchPages } from '../pages.js';

const path = (ref: string) => `/api/v1/subclouds/${encodeURIComponent(ref)}`;
const groupPath = (ref: string) => `/api/v1/subcloud-groups/${encodeURIComponent(ref)}`;

export function registerSubcloudCommands(program: Command, ctx: CliContext): void {
  const subcloud = program.command('subcloud').description('Subclouds of this system controller (StarlingX dcmanager subcloud)');

  subcloud
    .command('list')
    .description('List subclouds')
    .option('--group <group>', 'only this group')
    .addOption(new Option('--availability <status>', 'only online or offline').choices(['online', 'offline']))
    .addOption(new Option('--management <state>', 'only managed or unmanaged').choices(['managed', 'unmanaged']))
    .option('--name <prefix>', 'names starting with this')
    .option('--limit <n>', 'rows', '100')
    .option('--all', 'every page')
    .action(async (o: { group?: string; availability?: string; management?: string; name?: string; limit: string; all?: boolean }, cmd: Command) => {
      const page = await fetchPages<SubcloudView>(ctx, '/api/v1/subclouds', { group: o.group, availability_status: o.availability, management_state: o.management, name: o.name, limit: o.limit }, Boolean(o.all));
      ctx.out(
        renderList(ctx.format(cmd), page.items, [
          { header: 'id', value: (s) => s.id },
          { header: 'name', value: (s) => s.name },
          { header: 'management', value: (s) => s.management_state },
          { header: 'availability', value: (s) => s.availability_status },
          { header: 'deploy status', value: (s) => s.deploy_status },
          { header: 'group', value: (s) => s.group_name },
          { header: 'software', value: (s) => s.software_version },
        ]),
      );
      if (page.next_cursor && ctx.format(cmd) === 'table') ctx.err('(more subclouds: use --all or --limit)');
    });

  subcloud
    .command('show')
    .description('Show a subcloud, with its sync status per endpoint')
    .argument('<subcloud>', 'name or id')
    .action(async (ref: string, _o: unknown, cmd: Command) => ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<SubcloudDetail>('GET', path(ref)))));

  subcloud
    .command('add')
    .description('Add a subcloud and print its one-time enroll token')
    .argument('<name>')
    .option('--group <group>', 'group name or id (default: Default)')
    .option('--description <text>', 'description')
    .option('--location <text>', 'location')
    .option('--migrate', 'adopt a subcloud another system controller manages (rehome); then hand it over there')
    .action(async (name: string, o: { group?: string; description?: string; location?: string; migrate?: boolean }, cmd: Command) => {
      const body = {
        name,
        ...(o.group ? { group: o.group } : {}),
        ...(o.description ? { description: o.description } : {}),
        ...(o.location ? { location: o.location } : {}),
        ...(o.migrate ? { migrate: true } : {}),
      };
      const t = await ctx.client().request<{ subcloud: SubcloudDetail; enroll_token: string; expires_at: string }>('POST', '/api/v1/subclouds', { body });
      if (ctx.format(cmd) !== 'table') return ctx.out(renderObject(ctx.format(cmd), t));
      ctx.out(`Added subcloud ${t.subcloud.name} (group ${t.subcloud.group_name}): ${t.subcloud.management_state}, ${t.subcloud.availability_status}, ${t.subcloud.deploy_status}`);
      if (o.migrate) {
        ctx.out(`Rehome token (one use, until ${t.expires_at}). On the system controller that manages ${name} now, run:`);
        ctx.out(`  starling subcloud update ${name} --system-controller ${ctx.client().url} --enroll-token ${t.enroll_token}`);
        return;
      }
      ctx.out(`Enroll token (one use, until ${t.expires_at}):\n  ${t.enroll_token}`);
      ctx.out(`On the subcloud: starling serve --role subcloud --system-controller ${ctx.client().url} --enroll-token ${t.enroll_token}`);
    });

  subcloud
    .command('enroll-token')
    .description('Issue a new one-time enroll token for a known subcloud (its client certificate expired while it was offline, or it lost its credential)')
    .argument('<subcloud>')
    .action(async (ref: string) => {
      const t = await ctx.client().request<{ subcloud: SubcloudDetail; enroll_token: string; expires_at: string }>('POST', `${path(ref)}/enroll-token`);
      ctx.out(`Enroll token for ${t.subcloud.name} (one use, until ${t.expires_at}):\n  ${t.enroll_token}`);
      ctx.out(`On the subcloud: starling serve --role subcloud --enroll-token ${t.enroll_token}`);
    });

  subcloud
    .command('update')
    .description('Change a subcloud: description, location, group, or the system controller it reports to')
    .argument('<subcloud>')
    .option('--description <text>')
    .option('--location <text>')
    .option('--group <group>')
    .option('--system-controller <url>', 'the system controller address the subcloud reports to (reaches it as desired state)')
    .option('--enroll-token <token>', 'rehome: the token from "subcloud add NAME --migrate" on the system controller at --system-controller')
    .action(async (ref: string, o: { description?: string; location?: string; group?: string; systemController?: string; enrollToken?: string }, cmd: Command) => {
      const body = {
        ...(o.description !== undefined ? { description: o.description } : {}),
        ...(o.location !== undefined ? { location: o.location } : {}),
        ...(o.group !== undefined ? { group: o.group } : {}),
        ...(o.systemController !== undefined ? { system_controller_url: o.systemController } : {}),
        ...(o.enrollToken !== undefined ? { enroll_token: o.enrollToken } : {}),
      };
      if (Object.keys(body).length === 0) throw new Error('nothing to change: give --description, --location, --group or --system-controller');
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<SubcloudDetail>('PATCH', path(ref), { body })));
    });

  for (const verb of ['manage', 'unmanage'] as const) {
    const c = subcloud.command(verb).description(verb === 'manage' ? 'Manage a subcloud (it must be online and deployed, unless --force)' : 'Unmanage a subcloud').argument('<subcloud>');
    if (verb === 'manage') c.option('--force', 'manage even if offline or not deployed');
    c.action(async (ref: string, o: { force?: boolean }, cmd: Command) => {
      const s = await ctx.client().request<SubcloudDetail>('POST', `${path(ref)}/${verb}`, { body: o.force ? { force: true } : {} });
      ctx.out(ctx.format(cmd) === 'table' ? `${s.name}: ${s.management_state}, ${s.availability_status}` : renderObject(ctx.format(cmd), s));
    });
  }

  subcloud
    .command('delete')
    .description('Delete an unmanaged subcloud')
    .argument('<subcloud>')
    .action(async (ref: string) => {
      await ctx.client().request('DELETE', path(ref));
      ctx.out(`Deleted subcloud ${ref}`);
    });

  subcloud
    .command('errors')
    .description("The subcloud's active errors: what failed, the evidence and a proposed repair")
    .argument('<subcloud>')
    .option('--all', 'also the cleared errors (history)')
    .action(async (ref: string, o: { all?: boolean }, cmd: Command) => {
      const e = await ctx.client().request<{ name: string; error_description: string; items: SubcloudErrorView[] }>('GET', `${path(ref)}/errors`, { query: { all: o.all ? true : undefined } });
      const format = ctx.format(cmd);
      if (format !== 'table') return ctx.out(renderObject(format, e));
      if (e.items.length === 0) return ctx.out(`${e.name}: ${e.error_description}`);
      ctx.out(
        renderList('table', e.items, [
          { header: 'Cause', value: (i) => i.cause },
          { header: 'What', value: (i) => i.what },
          { header: 'Evidence', value: (i) => i.evidence },
          { header: 'Repair', value: (i) => i.repair },
          { header: 'First Seen', value: (i) => i.first_at },
          { header: 'Last Seen', value: (i) => i.last_at },
          { header: 'Count', value: (i) => i.count },
          ...(o.all ? [{ header: 'Cleared', value: (i: SubcloudErrorView) => i.cleared_at ?? 'active' }] : []),
        ]),
      );
    });

  subcloud
    .command('error-summary')
    .description("The fleet's active subcloud errors grouped by cause, with a proposed repair")
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.client().request<{ items: FleetErrorGroup[] }>('GET', '/api/v1/fleet/errors');
      const format = ctx.format(cmd);
      if (format === 'table' && items.length === 0) return ctx.out('No errors present in the fleet');
      ctx.out(
        renderList(format, items, [
          { header: 'Cause', value: (g) => g.cause },
          { header: 'Subclouds', value: (g) => g.subclouds },
          { header: 'Examples', value: (g) => (g.subclouds > g.examples.length ? [...g.examples, '...'] : g.examples) },
          { header: 'What', value: (g) => g.what },
          { header: 'Last Seen', value: (g) => g.last_at },
          { header: 'Repair', value: (g) => g.repair },
        ]),
      );
    });

  const group = program.command('subcloud-group').description('Subcloud groups (Default always exists)');
  const columns = [
    { header: 'id', value: (g: GroupView) => g.id },
    { header: 'name', value: (g: GroupView) => g.name },
    { header: 'apply type', value: (g: GroupView) => g.update_apply_type },
    { header: 'max parallel', value: (g: GroupView) => g.max_parallel_subclouds },
    { header: 'subclouds', value: (g: GroupView) => g.subclouds },
    { header: 'description', value: (g: GroupView) => g.description },
  ];
  group
    .command('list')
    .description('List groups')
    .action(async (_o: unknown, cmd: Command) => ctx.out(renderList(ctx.format(cmd), (await ctx.client().request<{ items: GroupView[] }>('GET', '/api/v1/subcloud-groups')).items, columns)));
  group
    .command('show')
    .argument('<group>')
    .description('Show a group')
    .action(async (ref: string, _o: unknown, cmd: Command) => ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<GroupView>('GET', groupPath(ref)))));
  const groupOptions = (c: Command) =>
    c
      .option('--description <text>')
      .addOption(new Option('--apply-type <type>', 'update apply type').choices(APPLY_TYPES))
      .option('--max-parallel <n>', 'max subclouds updated at once (1-5000)');
  const groupBody = (o: { description?: string; applyType?: string; maxParallel?: string }) => ({
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(o.applyType ? { update_apply_type: o.applyType } : {}),
    ...(o.maxParallel ? { max_parallel_subclouds: Number(o.maxParallel) } : {}),
  });
  groupOptions(group.command('create').argument('<name>').description('Create a group')).action(async (name: string, o: Record<string, string>, cmd: Command) =>
    ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<GroupView>('POST', '/api/v1/subcloud-groups', { body: { name, ...groupBody(o) } }))),
  );
  groupOptions(group.command('update').argument('<group>').description('Update a group').option('--name <name>', 'new name')).action(async (ref: string, o: Record<string, string>, cmd: Command) =>
    ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<GroupView>('PATCH', groupPath(ref), { body: { ...(o.name ? { name: o.name } : {}), ...groupBody(o) } }))),
  );
  group
    .command('delete')
    .argument('<group>')
    .description('Delete a group; its subclouds move to Default')
    .action(async (ref: string) => {
      await ctx.client().request('DELETE', groupPath(ref));
      ctx.out(`Deleted subcloud group ${ref}`);
    });
}
