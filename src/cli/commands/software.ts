/** `starling software ...` (StarlingX USM `software upload | list | show | delete`) and `software trust ...`. */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { ReleaseDetail, ReleaseView } from '../../resources/software/release.service.js';
import { RELEASE_STATES } from '../../resources/software/release-states.js';
import type { TrustedKeyView } from '../../resources/software/trust.store.js';
import { registerDeployCommands } from './software-deploy.js';
import { CliError } from '../errors.js';
import type { CliContext } from '../context.js';
import { renderList, renderObject } from '../output.js';

const releasePath = (id: string) => `/api/v1/software/releases/${encodeURIComponent(id)}`;

export function registerSoftwareCommands(program: Command, ctx: CliContext): void {
  const software = program.command('software').description('Software releases and their deployment (StarlingX USM)');

  software
    .command('upload')
    .description('Upload a signed release bundle; refused, with the reason, unless its signature and every digest check out')
    .argument('<file>', 'bundle from "starling release build"')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const release = await ctx.client().upload<ReleaseDetail>('/api/v1/software/releases', file);
      const { files, ...rest } = release;
      ctx.out(renderObject(ctx.format(cmd), { ...rest, files: files.length }));
    });

  software
    .command('list')
    .description('List releases')
    .addOption(new Option('--state <state>', 'only releases in this state').choices(RELEASE_STATES))
    .action(async (o: { state?: string }, cmd: Command) => {
      const { items } = await ctx.client().request<{ items: ReleaseView[] }>('GET', '/api/v1/software/releases', { query: { state: o.state } });
      ctx.out(
        renderList(ctx.format(cmd), items, [
          { header: 'Release', value: (r) => r.release_id },
          { header: 'RR', value: (r) => (r.reboot_required ? 'True' : 'False') },
          { header: 'State', value: (r) => r.state },
          { header: 'Kind', value: (r) => r.kind },
          { header: 'Summary', value: (r) => r.summary },
        ]),
      );
    });

  software
    .command('show')
    .description('Show a release')
    .argument('<release>', 'release id')
    .option('--files', 'also list its files')
    .action(async (id: string, o: { files?: boolean }, cmd: Command) => {
      const release = await ctx.client().request<ReleaseDetail>('GET', releasePath(id));
      const { files, ...rest } = release;
      ctx.out(renderObject(ctx.format(cmd), o.files || ctx.format(cmd) !== 'table' ? release : { ...rest, files: files.length }));
    });

  software
    .command('delete')
    .description('Delete an available, unavailable or upload-failed release')
    .argument('<release>', 'release id')
    .action(async (id: string) => {
      await ctx.client().request('DELETE', releasePath(id));
      ctx.out(`Release ${id} deleted`);
    });

  software
    .command('commit-patch')
    .description('Commit a deployed patch and the deployed releases it requires: they can no longer be removed')
    .argument('<release>', 'release id')
    .action(async (id: string) => {
      const { items } = await ctx.client().request<{ items: Array<{ release_id: string; state: string }> }>('POST', `${releasePath(id)}/commit`);
      ctx.out(`Committed: ${items.map((r) => r.release_id).join(', ')}`);
    });

  registerDeployCommands(software, ctx);

  const trust = software.command('trust').description('The release signing keys this system accepts (synced to managed subclouds)');
  trust
    .command('add')
    .description('Trust an ed25519 public key (from "release keygen"); admin only')
    .argument('<public-key>', 'PEM file')
    .option('--name <name>', 'a label for the key')
    .action(async (file: string, o: { name?: string }, cmd: Command) => {
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`${file}: ${(err as Error).message}`);
      }
      const key = await ctx.client().request<TrustedKeyView>('POST', '/api/v1/software/trust', { body: { public_key: pem, ...(o.name ? { name: o.name } : {}) } });
      ctx.out(renderObject(ctx.format(cmd), { key_id: key.key_id, name: key.name, added_at: key.added_at }));
    });
  trust
    .command('list')
    .description('List trusted keys')
    .action(async (_o: unknown, cmd: Command) => {
      const { items } = await ctx.client().request<{ items: TrustedKeyView[] }>('GET', '/api/v1/software/trust');
      ctx.out(
        renderList(ctx.format(cmd), items, [
          { header: 'key id', value: (k) => k.key_id },
          { header: 'name', value: (k) => k.name },
          { header: 'added', value: (k) => k.added_at },
        ]),
      );
    });
  trust
    .command('remove')
    .description('Stop trusting a key (releases it signed stay uploaded)')
    .argument('<key-id>', 'as "trust list" shows it')
    .action(async (keyId: string) => {
      await ctx.client().request('DELETE', `/api/v1/software/trust/${encodeURIComponent(keyId)}`);
      ctx.out(`Key ${keyId} removed`);
    });
}
