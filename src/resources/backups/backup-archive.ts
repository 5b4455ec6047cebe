/**
 * The platform backup archive: one uncompressed tar whose first entry is
 * `manifest.json`, listing every other entry with its size and sha256.
 *
 *   manifest.json          what is inside, from which system and schema
 *   db/<table>.ndjson      every row of every table, one JSON object a line
 *   software/blobs/<sha>   the release blob store (content-addressed)
 *   config.json            the controller's settings (secrets left out)
 *   secrets.json           private keys and other secrets, sealed with the
 *                          passphrase; absent from a backup made without one
 *
 * Reading checks every entry against the manifest while it is extracted to
 * a staging folder, so nothing is used from an archive that is corrupted,
 * truncated or padded with entries the manifest does not name.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { SealedSecrets } from './backup-crypto.js';

export const ARCHIVE_FORMAT = 'starling-platform-backup';
export const ARCHIVE_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const SECRETS_PART = 'secrets.json';

export interface ManifestPart {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  name: string;
  created_at: string;
  starling_version: string;
  system: { name: string; role: string; mode: string };
  /** The backend the copy was taken from (a restore may go to the other). */
  dialect: 'sqlite' | 'postgres';
  /** Migrations applied to the copied database: a restore migrates to these, loads, then to its latest. */
  migrations: string[];
  /** Table name → rows copied, in load order (parents first). */
  tables: Array<{ name: string; rows: number }>;
  /** `sealed`: secrets.json holds them; `omitted`: made without a passphrase. */
  secrets: 'sealed' | 'omitted';
  parts: ManifestPart[];
}

/** The additional data the secrets are sealed with: every part but the secrets, in order. */
export function manifestDigest(m: Pick<Manifest, 'name' | 'system' | 'migrations' | 'tables' | 'parts'>): string {
  const parts = m.parts.filter((p) => p.path !== SECRETS_PART);
  return createHash('sha256').update(JSON.stringify({ name: m.name, system: m.system, migrations: m.migrations, tables: m.tables, parts })).digest('hex');
}

export class ArchiveError extends Error {}

/** sha256 and size of a file. */
export async function digestFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Writes the tar: the manifest first, then each part from `sourceOf(part)`, to `out`. */
export async function packArchive(out: string, manifest: Manifest, sourceOf: (part: ManifestPart) => string): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(out, { mode: 0o600 }));
  try {
    await new Promise<void>((resolve, reject) => pack.entry({ name: MANIFEST, mode: 0o600 }, Buffer.from(JSON.stringify(manifest, null, 2)), (err) => (err ? reject(err) : resolve())));
    for (const part of manifest.parts) {
      const source = sourceOf(part);
      const size = (await stat(source)).size;
      if (size !== part.size) throw new ArchiveError(`${part.path} changed while the backup was written (${size} bytes, manifest says ${part.size})`);
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name: part.path, size, mode: 0o600 }, (err) => (err ? reject(err) : resolve()));
        pipeline(createReadStream(source), sink as unknown as NodeJS.WritableStream).catch(reject);
      });
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => undefined);
    throw err;
  }
  await written;
}

/** A path inside the archive that stays inside the folder it is extracted to. */
function safePath(name: string): string {
  const n = normalize(name);
  if (!name || n.startsWith('..') || n.startsWith('/') || n.includes('\0')) throw new ArchiveError(`entry "${name.slice(0, 200)}" is not a path inside the archive`);
  return n;
}

/**
 * Extracts `archive` into `staging`, checking each entry against the
 * manifest as it goes; throws ArchiveError naming the first thing wrong.
 */
export async function extractArchive(archive: string, staging: string): Promise<{ manifest: Manifest; sealed: SealedSecrets | undefined }> {
  let manifest: Manifest | undefined;
  let sealed: SealedSecrets | undefined;
  const seen = new Set<string>();
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const header = entry.header;
      const body = entry as unknown as Readable;
      if (header.type !== 'file') throw new ArchiveError(`entry "${header.name}" is a ${header.type}, not a file`);
      if (!manifest) {
        if (header.name !== MANIFEST) throw new ArchiveError(`the first entry is "${header.name}", not ${MANIFEST}: not a Starling platform backup`);
        manifest = parseManifest(await readAll(body));
        continue;
      }
      const path = safePath(header.name);
      const part = manifest.parts.find((p) => p.path === path);
      if (!part) throw new ArchiveError(`entry "${path}" is not in the manifest`);
      if (seen.has(path)) throw new ArchiveError(`entry "${path}" appears twice`);
      seen.add(path);
      // Written to staging as it streams; nothing in staging is used until every part matched (the caller discards it otherwise).
      const hash = createHash('sha256');
      let size = 0;
      const keep: Buffer[] = [];
      body.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
        if (path === SECRETS_PART) keep.push(chunk);
      });
      if (path === SECRETS_PART) {
        await new Promise<void>((resolve, reject) => body.once('end', resolve).once('error', reject));
      } else {
        const target = join(staging, path);
        mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
        await pipeline(body, createWriteStream(target, { mode: 0o600 }));
      }
      if (size !== part.size || hash.digest('hex') !== part.sha256) throw new ArchiveError(`${path} is corrupted: its content does not match the manifest's sha256 and size (${size} of ${part.size} bytes)`);
      if (path === SECRETS_PART) sealed = parseSealed(Buffer.concat(keep));
    }
  })();
  // A file, not an upload: pipeline() may own the feeding and tear both ends down on a failure.
  const fed = pipeline(createReadStream(archive), extract as unknown as NodeJS.WritableStream);
  try {
    await Promise.all([consume, fed]);
  } catch (err) {
    extract.destroy();
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(`the archive cannot be read (truncated, or not a tar file): ${(err as Error).message}`);
  }
  if (!manifest) throw new ArchiveError('the archive is empty: no manifest');
  const missing = manifest.parts.filter((p) => !seen.has(p.path));
  if (missing.length) throw new ArchiveError(`the archive is truncated: ${missing.length} part(s) the manifest lists are missing, the first ${missing[0]!.path}`);
  if (manifest.secrets === 'sealed' && !sealed) throw new ArchiveError('the manifest says secrets are sealed in it, but there is no secrets part');
  return { manifest, sealed };
}

function parseSealed(body: Buffer): SealedSecrets {
  try {
    return JSON.parse(body.toString('utf8')) as SealedSecrets;
  } catch {
    throw new ArchiveError(`${SECRETS_PART} is not JSON: the archive is corrupted`);
  }
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseManifest(body: Buffer): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(body.toString('utf8')) as Manifest;
  } catch {
    throw new ArchiveError(`${MANIFEST} is not JSON: the archive is corrupted`);
  }
  if (m?.format !== ARCHIVE_FORMAT) throw new ArchiveError(`not a Starling platform backup (format "${String(m?.format).slice(0, 60)}")`);
  if (m.version !== ARCHIVE_VERSION) throw new ArchiveError(`archive version ${m.version} is not one this Starling reads (${ARCHIVE_VERSION})`);
  if (!Array.isArray(m.parts) || !Array.isArray(m.tables) || !Array.isArray(m.migrations)) throw new ArchiveError(`${MANIFEST} is incomplete: the archive is corrupted`);
  for (const p of m.parts) safePath(p.path);
  return m;
}
