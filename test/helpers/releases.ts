/** Release folders, keys and bundles for tests, made with the real build. */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { buildBundle } from '../../src/resources/software/release-bundle.js';
import { generateReleaseKeys } from '../../src/resources/software/release-signature.js';

export interface ReleaseSpec {
  id: string;
  version?: string;
  kind?: 'patch' | 'major';
  requires?: string[];
  reboot_required?: boolean;
  unremovable?: boolean;
  summary?: string;
  health_check?: string;
  /** path → content; executable when the path ends in .sh */
  files: Record<string, string | Buffer>;
}

export const newKeys = () => generateReleaseKeys();

/** Writes a release folder and builds the bundle; returns the bundle path. */
export async function makeBundle(spec: ReleaseSpec, privatePem: string, workDir?: string): Promise<string> {
  const root = workDir ?? (await mkdtemp(join(tmpdir(), 'starling-release-')));
  const dir = join(root, spec.id);
  for (const [path, content] of Object.entries(spec.files)) {
    const full = join(dir, 'content', path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
  }
  const { files: _files, ...meta } = spec;
  await writeFile(join(dir, 'release.json'), JSON.stringify({ version: '1.0.1', summary: `test release ${spec.id}`, ...meta }));
  const out = join(root, `${spec.id}.tar`);
  await buildBundle(dir, privatePem, out);
  return out;
}

/** Every entry of a tar, in order. */
export async function tarEntries(file: string): Promise<Array<{ name: string; body: Buffer }>> {
  const extract = tar.extract();
  const out: Array<{ name: string; body: Buffer }> = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.push({ name: entry.header.name, body: Buffer.concat(chunks) });
    }
  })();
  Readable.from(await readFile(file)).pipe(extract as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

/** A tar of these entries (to make tampered bundles). */
export async function packTar(entries: Array<{ name: string; body: Buffer }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name }, e.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
