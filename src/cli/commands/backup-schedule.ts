/** `starling backup schedule create | list | show | pause | resume | delete` (after Velero's `schedule`). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderList, renderObject } from '../output.js';
import { passphraseFrom } from '../passphrase-file.js';

type Row = Record<string, unknown>;

const COLUMNS = [
  { header: 'Name', value: (s: Row) => s.name },
  { header: 'Cron (UTC)', value: (s: Row) => s.cron },
  { header: 'Keep', value: (s: Row) => s.keep ?? '' },
  { header: 'TTL', value: (s: Row) => s.ttl ?? '' },
  { header: 'Paused', value: (s: Row) => (s.paused ? 'yes' : 'no') },
  { header: 'Next run', value: (s: Row) => s.next_run_at ?? '' },
  { header: 'Last backup', value: (s: Row) => s.last_backup ?? '' },
  { header: 'Last error', value: (s: Row) => s.last_error ?? '' },
];

const path = (name: string, action = '') => `/api/v1/backup-schedules/${encodeURIComponent(name)}${action}`;

export function registerBackupScheduleCommands(backup: Command, ctx: CliContext): void {
  const schedule = backup.command('schedule').description('When platform backups are made, how long each lives and how many are kept');

  schedule
    .command('create')
    .description('Create a schedule: its backups are named <name>-<YYYYMMDDHHMMSS>')
    .argument('<name>', 'lower-case letters, digits and dashes')
    .requiredOption('--cron <expression>', 'minute hour day-of-month month day-of-week, in UTC, e.g. "0 3 * * *" (daily at 03:00)')
    .option('--keep <n>', "keep this many of its complete backups; older ones are deleted")
    .option('--ttl <duration>', 'delete each of its backups this long after it is made: 30d, 12h, 90m')
    .option('--out <dir>', 'absolute folder on the controller for its archives (default <data-dir>/backups)')
    .option('--passphrase-file <file>', 'seal the secrets into its backups with the passphrase on the first line (kept on the controller as a secret)')
    .action(async (name: string, o: { cron: string; keep?: string; ttl?: string; out?: string; passphraseFile?: string }, cmd: Command) => {
      const keep = o.keep === undefined ? undefined : Number(o.keep);
      if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) throw new CliError(`--keep ${o.keep}: a whole number of at least 1`);
      const body = {
        name,
        cron: o.cron,
        ...(keep !== undefined ? { keep } : {}),
        ...(o.ttl ? { ttl: o.ttl } : {}),
        ...(o.out ? { out_dir: o.out } : {}),
        ...(o.passphraseFile ? { passphrase: passphraseFrom(o.passphraseFile) } : {}),
      };
      const row = await ctx.client().request<Row>('POST', '/api/v1/backup-schedules', { body });
      if (!o.passphraseFile) ctx.err("warning: no --passphrase-file: its backups leave out the CAs' private keys, the session key and credentials");
      ctx.out(renderObject(ctx.format(cmd), row));
    });

  schedule
    .command('list')
    .description('Backup schedules')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.client().request<{ items: Row[] }>('GET', '/api/v1/backup-schedules');
      ctx.out(renderList(ctx.format(cmd), items, COLUMNS));
    });

  schedule
    .command('show')
    .argument('<name>')
    .description('Show a schedule')
    .action(async (name: string, _o: unknown, cmd: Command) => ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<Row>('GET', path(name)))));

  for (const action of ['pause', 'resume'] as const) {
    schedule
      .command(action)
      .argument('<name>')
      .description(action === 'pause' ? 'Stop making backups until resumed (its backups are still pruned)' : 'Make backups again, from its next time')
      .action(async (name: string, _o: unknown, cmd: Command) => ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<Row>('POST', path(name, `/${action}`)))));
  }

  schedule
    .command('delete')
    .argument('<name>')
    .description('Delete a schedule (its backups stay until they expire or are deleted)')
    .action(async (name: string) => {
      await ctx.client().request('DELETE', path(name));
      ctx.out(`deleted backup schedule ${name}`);
    });
}
