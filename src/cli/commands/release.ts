/**
 * `starling release keygen | build`: make signing keys and signed release
 * bundles. Runs locally; no system is contacted.
 */
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createPublicKey } from 'node:crypto';
import { CliError } from '../errors.js';
import type { CliContext } from '../context.js';
import { renderObject } from '../output.js';

export function registerReleaseCommands(program: Command, ctx: CliContext): void {
  const release = program.command('release').description('Make release signing keys and signed release bundles (local; contacts no system)');

  release
    .command('keygen')
    .description('Write an ed25519 key pair: PREFIX.key (private, mode 0600) and PREFIX.pub (give it to "software trust add")')
    .requiredOption('--out <prefix>', 'path prefix of the two files')
    .action(async (o: { out: string }, cmd: Command) => {
      // The signing and bundling modules load when used: every other command (and the agent) skips them.
      const { generateReleaseKeys, keyIdOf } = await import('../../resources/software/release-signature.js');
      const { privatePem, publicPem } = generateReleaseKeys();
      await writeFile(`${o.out}.key`, privatePem, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        throw new CliError(err.code === 'EEXIST' ? `${o.out}.key exists; not overwriting a key` : `${o.out}.key: ${err.message}`);
      });
      await writeFile(`${o.out}.pub`, publicPem, { flag: 'w' });
      ctx.out(renderObject(ctx.format(cmd), { private_key: `${o.out}.key`, public_key: `${o.out}.pub`, key_id: keyIdOf(createPublicKey(publicPem)) }));
    });

  release
    .command('build')
    .description('Build and sign a bundle from DIR: DIR/release.json (id, version, kind, summary, requires, reboot_required, unremovable, health_check) and the files under DIR/content/')
    .argument('<dir>', 'the release folder')
    .requiredOption('--key <file>', 'the private key (from "release keygen")')
    .requiredOption('--out <file>', 'the bundle to write')
    .action(async (dir: string, o: { key: string; out: string }, cmd: Command) => {
      let pem: string;
      try {
        pem = readFileSync(o.key, 'utf8');
      } catch (err) {
        throw new CliError(`--key ${o.key}: ${(err as Error).message}`);
      }
      const { buildBundle } = await import('../../resources/software/release-bundle.js');
      const built = await buildBundle(dir, pem, o.out);
      ctx.out(
        renderObject(ctx.format(cmd), {
          release_id: built.metadata.id,
          version: built.metadata.version,
          kind: built.metadata.kind,
          files: built.metadata.files.length,
          key_id: built.signature.key_id,
          bundle: o.out,
          bytes: built.bytes,
        }),
      );
    });
}
