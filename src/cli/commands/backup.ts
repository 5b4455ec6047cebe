/**
 * `starling backup create | list | show | delete | download | restore` (StarlingX
 * backup.yml and restore_platform.yml), and `backup schedule …`. Create, list, show and delete talk
 * to a running controller (archives download over REST, with Range); restore works on a
 * stopped one's data folder and database, with no controller running.
 */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { renderList, renderObject } from '../output.js';
import { passphraseFrom } from '../passphrase-file.js';
import { registerBackupScheduleCommands } from './backup-schedule.js';

type Row = Record<string, unknown>;

const COLUMNS = [
  { header: 'Name', value: (b: Row) => b.name },
  { header: 'State', value: (b: Row) => b.state },
  { header: 'Size', value: (b: Row) => (typeof b.size === 'number' ? megabytes(b.size) : '') },
  { header: 'Secrets', value: (b: Row) => b.secrets },
  { header: 'Created', value: (b: Row) => b.created_at },
  { header: 'Expires', value: (b: Row) => b.expires_at ?? '' },
  { header: 'Error', value: (b: Row) => b.error ?? '' },
];

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function registerBackupCommands(program: Command, ctx: CliContext): void {
  const backup = program.command('backup').description('Platform backups of this controller, and restoring one onto a stopped controller');

  backup
    .command('create')
    .description('Back up the running controller: database snapshot, release blobs, CAs and keys, trusted keys, settings (210.001 while it runs)')
    .option('--out <dir>', "absolute folder on the controller for the archive (default <data-dir>/backups)")
    .option('--passphrase-file <file>', 'encrypt the secrets (keys, session key, credentials) with the passphrase on its first line; without it they are left out and the backup cannot rebuild the same system')
    .option('--ttl <duration>', 'delete it this long after it is made: 30d, 12h, 90m (default: kept until deleted)')
    .option('--no-wait', 'return once started, without waiting for it to finish')
    .action(async (o: { out?: string; passphraseFile?: string; ttl?: string; wait: boolean }, cmd: Command) => {
      const body = { ...(o.out ? { out_dir: o.out } : {}), ...(o.passphraseFile ? { passphrase: passphraseFrom(o.passphraseFile) } : {}), ...(o.ttl ? { ttl: o.ttl } : {}) };
      const client = ctx.client();
      let row = await client.request<Row>('POST', '/api/v1/backups', { body });
      if (!o.passphraseFile) ctx.err('warning: no --passphrase-file: the backup leaves out the CAs\' private keys, the session key and credentials');
      if (o.wait) {
        const started = Date.now();
        while (row.state === 'in-progress') {
          await new Promise((r) => setTimeout(r, 500));
          row = await client.request<Row>('GET', `/api/v1/backups/${encodeURIComponent(String(row.id))}`);
          if (process.stderr.isTTY) process.stderr.write(`\rbacking up ${String(row.name)}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
        if (process.stderr.isTTY) process.stderr.write('\n');
      }
      ctx.out(renderObject(ctx.format(cmd), row));
      if (row.state === 'failed') throw new CliError(`backup ${String(row.name)} failed: ${String(row.error)}`);
    });

  backup
    .command('list')
    .description('Platform backups, newest first')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.client().request<{ items: Row[] }>('GET', '/api/v1/backups');
      ctx.out(renderList(ctx.format(cmd), items, COLUMNS));
    });

  backup
    .command('show')
    .description('Show a backup (by id or name)')
    .argument('<backup>')
    .action(async (ref: string, _o: unknown, cmd: Command) => {
      ctx.out(renderObject(ctx.format(cmd), await ctx.client().request<Row>('GET', `/api/v1/backups/${encodeURIComponent(ref)}`)));
    });

  backup
    .command('delete')
    .description('Delete a backup and its archive')
    .argument('<backup>')
    .action(async (ref: string) => {
      await ctx.client().request('DELETE', `/api/v1/backups/${encodeURIComponent(ref)}`);
      ctx.out(`deleted backup ${ref}`);
    });

  backup
    .command('download')
    .description("Copy a complete backup's archive here, resuming an interrupted copy (HTTP Range) and checking its sha256 (admins)")
    .argument('<backup>', 'id or name')
    .option('--out <file>', 'where to write it (default ./<name>.tar)')
    .action(async (ref: string, o: { out?: string }) => {
      const client = ctx.client();
      const row = await client.request<Row>('GET', `/api/v1/backups/${encodeURIComponent(ref)}`);
      if (row.state !== 'complete') throw new CliError(`backup ${String(row.name)} is ${String(row.state)}: only a complete backup has an archive`);
      const dest = o.out ?? `${String(row.name)}.tar`;
      if (existsSync(dest)) throw new CliError(`${dest} exists; not overwriting it (give --out)`);
      const partial = `${dest}.partial`;
      const size = Number(row.size);
      let got = 0;
      const moved = await client.download(`/api/v1/backups/${encodeURIComponent(String(row.id))}/archive`, partial, { size, sha256: String(row.sha256) }, (n) => {
        got += n;
        if (process.stderr.isTTY) process.stderr.write(`\rdownloading ${String(row.name)}: ${Math.floor((got / size) * 100)} %`);
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      await rename(partial, dest);
      ctx.out(`${dest}: ${megabytes(size)}, sha256 ${String(row.sha256)} (${moved === size ? 'downloaded' : `resumed: ${megabytes(moved)} fetched`})`);
    });

  registerBackupScheduleCommands(backup, ctx);

  backup
    .command('restore')
    .description('Restore a backup onto a stopped (or new) controller: verifies every part and the passphrase first, then switches at once (SQLite or PostgreSQL, either way round)')
    .argument('<archive>', 'the backup archive (.tar)')
    .requiredOption('--data-dir <dir>', "the controller's data folder")
    .option('--database-url <url>', 'restore into this PostgreSQL database instead of SQLite in the data folder')
    .option('--passphrase-file <file>', 'the passphrase the backup was made with (first line)')
    .action(async (archive: string, o: { dataDir: string; databaseUrl?: string; passphraseFile?: string }) => {
      const { restoreBackup, RestoreRefused } = await import('../../resources/backups/backup-restore.js');
      try {
        const result = await restoreBackup({
          archive,
          dataDir: o.dataDir,
          ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}),
          ...(o.passphraseFile ? { passphrase: passphraseFrom(o.passphraseFile) } : {}),
          progress: (line) => ctx.err(line),
        });
        ctx.out(`restored ${result.manifest.name} (system ${result.manifest.system.name}) into ${result.target}; start the controller with the same --data-dir${o.databaseUrl ? ' and --database-url' : ''}`);
      } catch (err) {
        if (err instanceof RestoreRefused) throw new CliError(err.message);
        throw err;
      }
    });
}
