/** `starling login | logout | whoami | token ...`. */
import type { Command } from 'commander';
import { createClient } from '../client.js';
import type { CliContext } from '../context.js';
import { readStoredLogin, removeStoredLogin, writeStoredLogin } from '../credentials.js';
import { CliError } from '../errors.js';
import { renderList, renderObject } from '../output.js';
import { readCaFile, trustOnFirstUse } from '../trust.js';

export function registerAuthCommands(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .description('Log in and store the URL and session token (mode 0600) for later commands')
    .requiredOption('--url <url>', 'controller URL, e.g. https://controller:6385')
    .requiredOption('--username <name>', 'user name')
    .option('--password <password>', 'password (default: $STARLING_PASSWORD)')
    .option('--ca-file <file>', "the controller's CA (PEM; printed by serve at start): without it, the CA it presents is shown by fingerprint and you are asked (env STARLING_CA_FILE)")
    .action(async (o: { url: string; username: string; password?: string; caFile?: string }) => {
      const password = o.password ?? ctx.processEnv.STARLING_PASSWORD;
      if (!password) throw new CliError('give --password or set STARLING_PASSWORD');
      const url = o.url.replace(/\/+$/, '');
      if (!/^https?:\/\/[^\s/]+/.test(url)) throw new CliError(`--url: must be an http:// or https:// URL, not "${o.url}"`);
      const caFile = o.caFile ?? ctx.env.caFile;
      const ca = caFile ? readCaFile(caFile) : url.startsWith('https://') ? await trustOnFirstUse(url, ctx.ask, ctx.err) : undefined;
      const res = await createClient(url, undefined, ca).request<{ token: string; expires_at: string; user: { name: string; role: string } }>('POST', '/api/v1/auth/login', {
        body: { username: o.username, password },
      });
      const file = writeStoredLogin(ctx.env, { url, token: res.token, username: res.user.name, expires_at: res.expires_at, ...(ca ? { ca } : {}) });
      ctx.out(`Logged in to ${o.url} as ${res.user.name} (${res.user.role}); session until ${res.expires_at}. Stored in ${file}`);
    });

  program
    .command('logout')
    .description('End the stored session on the controller, then forget it')
    .action(async () => {
      const stored = readStoredLogin(ctx.env);
      if (!stored) return ctx.out('Not logged in');
      let unended: string | undefined;
      try {
        await createClient(stored.url, stored.token, stored.ca).request('POST', '/api/v1/auth/logout');
      } catch (err) {
        unended = (err as Error).message;
      }
      removeStoredLogin(ctx.env);
      // Forgotten here either way; if the controller could not be told, say the session still stands until it expires.
      if (unended === undefined) ctx.out(`Logged out of ${stored.url}: the session is ended on the controller`);
      else if (unended.includes('[HTTP 401]')) ctx.out(`Logged out of ${stored.url} (the session had already ended)`);
      else ctx.err(`Forgot the stored login, but the controller could not end the session (${unended}); it stays valid until ${stored.expires_at}`);
    });

  program
    .command('whoami')
    .description('Show who the current token belongs to')
    .action(async (_o: unknown, cmd: Command) => {
      const client = ctx.client();
      ctx.out(renderObject(ctx.format(cmd), { url: client.url, ...(await client.request<object>('GET', '/api/v1/auth/whoami')) }));
    });

  const token = program.command('token').description('API tokens for scripts (use with STARLING_TOKEN)');
  token
    .command('create')
    .description('Create an API token with your role; it is printed once')
    .argument('<name>', 'a name to recognise it by')
    .option('--expires-in-days <n>', 'lifetime in days (default 90, at most 365)')
    .action(async (name: string, o: { expiresInDays?: string }, cmd: Command) => {
      const body = { name, ...(o.expiresInDays ? { expires_in_days: Number(o.expiresInDays) } : {}) };
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<object>('POST', '/api/v1/auth/tokens', { body })));
    });
  token
    .command('list')
    .description('Your API tokens (never the secrets)')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.client().request<{ items: Array<Record<string, unknown>> }>('GET', '/api/v1/auth/tokens');
      ctx.out(renderList(ctx.format(cmd), items, ['id', 'name', 'created_at', 'expires_at', 'last_used_at'].map((k) => ({ header: k, value: (r: Record<string, unknown>) => r[k] }))));
    });
  token
    .command('revoke')
    .description('Revoke one of your API tokens')
    .argument('<id>')
    .action(async (id: string) => {
      await ctx.client().request('DELETE', `/api/v1/auth/tokens/${encodeURIComponent(id)}`);
      ctx.out(`Revoked token ${id}`);
    });
}
