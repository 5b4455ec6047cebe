/** `starling user ...` and `starling audit list`. */
import { Option, type Command } from 'commander';
import { ROLES } from '../../resources/users/roles.js';
import type { CliContext } from '../context.js';
import { renderList, renderObject } from '../output.js';
import { fetchPages } from '../pages.js';

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('Users and roles (admin; anyone may change their own password)');
  const columns = [
    { header: 'Name', value: (u: Record<string, unknown>) => u.name },
    { header: 'Role', value: (u: Record<string, unknown>) => u.role },
    { header: 'Created', value: (u: Record<string, unknown>) => u.created_at },
    { header: 'Updated', value: (u: Record<string, unknown>) => u.updated_at },
  ];

  user
    .command('create')
    .description('Create a user; without --password one is generated and printed once')
    .argument('<name>', 'user name (a-z, 0-9, ".", "_", "-")')
    .addOption(new Option('--role <role>', 'role').choices(ROLES).makeOptionMandatory())
    .option('--password <password>', 'password (at least 8 characters)')
    .action(async (name: string, o: { role: string; password?: string }, cmd: Command) => {
      const created = await ctx.client().request<Record<string, unknown>>('POST', '/api/v1/users', { body: { name, role: o.role, ...(o.password ? { password: o.password } : {}) } });
      ctx.out(renderObject(ctx.format(cmd), created));
      if (created.generated_password && ctx.format(cmd) === 'table') ctx.err('The generated password is shown only this once.');
    });

  user
    .command('list')
    .description('List users')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.client().request<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/users');
      ctx.out(renderList(ctx.format(cmd), items, columns));
    });

  user
    .command('show')
    .description('Show a user')
    .argument('<name>')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('GET', `/api/v1/users/${encodeURIComponent(name)}`)));
    });

  user
    .command('update')
    .description("Change a user's role or password; ends that user's sessions")
    .argument('<name>')
    .addOption(new Option('--role <role>', 'new role').choices(ROLES))
    .option('--password <password>', 'new password')
    .action(async (name: string, o: { role?: string; password?: string }, cmd: Command) => {
      if (!o.role && !o.password) throw new Error('give --role and/or --password');
      const updated = await ctx.client().request<object>('PATCH', `/api/v1/users/${encodeURIComponent(name)}`, { body: { ...(o.role ? { role: o.role } : {}), ...(o.password ? { password: o.password } : {}) } });
      ctx.out(renderObject(ctx.format(cmd), updated));
    });

  user
    .command('delete')
    .description('Delete a user (not yourself, not the last admin)')
    .argument('<name>')
    .action(async (name: string) => {
      await ctx.client().request('DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
      ctx.out(`Deleted user ${name}`);
    });

  program
    .command('audit')
    .description('Security audit log (admin)')
    .command('list')
    .description('Mutating requests, newest first')
    .option('--user <name>', 'only this user')
    .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(['success', 'denied', 'failure']))
    .option('--limit <n>', 'rows', '50')
    .action(async (o: { user?: string; outcome?: string; limit: string }, cmd: Command) => {
      const page = await fetchPages<Record<string, unknown>>(ctx, '/api/v1/audit', { user: o.user, outcome: o.outcome, limit: o.limit }, false);
      ctx.out(
        renderList(ctx.format(cmd), page.items, [
          { header: 'Time', value: (r) => r.at },
          { header: 'User', value: (r) => r.user },
          { header: 'Role', value: (r) => r.role },
          { header: 'Source', value: (r) => r.source },
          { header: 'Method', value: (r) => r.method },
          { header: 'Route', value: (r) => r.route },
          { header: 'Target', value: (r) => r.target_id },
          { header: 'Status', value: (r) => r.status },
          { header: 'Outcome', value: (r) => r.outcome },
        ]),
      );
    });
}
