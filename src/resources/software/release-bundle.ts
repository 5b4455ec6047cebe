/**
 * The release bundle: a tar archive an operator can inspect with `tar tf`.
 *
 *   release.json      the metadata (release-metadata.ts), signed byte for byte
 *   release.sig       {"key_id", "signature"}: ed25519 over release.json
 *   blobs/<sha256>    each distinct content file, named by its digest
 *
 * `buildBundle` makes one from a folder (release.json + content/);
 * `readBundle` takes one apart as it streams in: the signature is checked
 * before any blob is accepted, a blob whose size is not the signed one is
 * refused from its header, each blob is hashed on the way to a staging
 * folder, and the bundle is refused — naming the entry and the reason —
 * unless every digest matches and every listed blob is there.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { InputError } from '../../core/errors.js';
import { blobsOf, checkReleaseMetadata, checkReleaseSource, RELEASE_FORMAT, SHA256_RE, type ReleaseFile, type ReleaseMetadata } from './release-metadata.js';
import { signRelease, verifyRelease, type ReleaseSignature, type TrustedKey } from './release-signature.js';

const METADATA_MAX_BYTES = 16 * 1024 * 1024;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function walk(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(root, full)));
    else if (entry.isFile()) out.push(full);
    else throw new InputError(`content/${relative(root, full).split(sep).join('/')}: only regular files and folders can be released (not links or devices)`, 'content');
  }
  return out;
}

/** Builds and signs a bundle from DIR (release.json and content/), written to `out`. */
export async function buildBundle(dir: string, privatePem: string, out: string): Promise<{ metadata: ReleaseMetadata; signature: ReleaseSignature; bytes: number }> {
  let sourceText: string;
  try {
    sourceText = await readFile(join(dir, 'release.json'), 'utf8');
  } catch {
    throw new InputError(`${dir}: no release.json (id, version, kind, summary ...)`, 'dir');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(sourceText);
  } catch (err) {
    throw new InputError(`release.json: not JSON: ${(err as Error).message}`, 'release.json');
  }
  const source = checkReleaseSource(parsed, 'release.json');
  const contentDir = join(dir, 'content');
  const paths = await walk(contentDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new InputError(`${dir}: no content/ folder: the files of the release go there`, 'dir');
    throw err;
  });
  const files: ReleaseFile[] = [];
  /** One source file per distinct digest: the bundle holds each blob once. */
  const sources = new Map<string, { full: string; size: number }>();
  for (const full of paths) {
    const st = await lstat(full);
    const sha256 = await sha256File(full);
    files.push({ path: relative(contentDir, full).split(sep).join('/'), sha256, size: st.size, executable: (st.mode & 0o111) !== 0 });
    sources.set(sha256, { full, size: st.size });
  }
  const metadata = checkReleaseMetadata({ format: RELEASE_FORMAT, ...source, files });
  const metadataBytes = Buffer.from(JSON.stringify(metadata, null, 2) + '\n');
  const signature = signRelease(metadataBytes, privatePem);

  const pack = tar.pack();
  const written = pipeline(pack as unknown as Readable, createWriteStream(out));
  const put = (name: string, body: Buffer) => new Promise<void>((resolve, reject) => pack.entry({ name, mode: 0o644 }, body, (err) => (err ? reject(err) : resolve())));
  await put('release.json', metadataBytes);
  await put('release.sig', Buffer.from(JSON.stringify(signature) + '\n'));
  for (const [sha256, { full, size }] of sources) {
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name: `blobs/${sha256}`, size, mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
      pipeline(createReadStream(full), entry as unknown as NodeJS.WritableStream).catch(reject);
    });
  }
  pack.finalize();
  await written;
  return { metadata, signature, bytes: (await lstat(out)).size };
}

export interface ReadBundleOptions {
  trusted: TrustedKey[];
  /** Where blobs are written while they are checked. */
  stagingDir: string;
  /** Whether the store already holds a blob (a bundle may leave out blobs the system has). */
  has: (sha256: string) => Promise<boolean>;
}

export interface ReadBundle {
  metadata: ReleaseMetadata;
  /** release.json's exact bytes, kept so the signature can be checked again anywhere. */
  metadataText: string;
  signature: ReleaseSignature;
  /** Checked blobs in the staging folder, by digest. */
  staged: Map<string, string>;
}

async function readAll(stream: Readable, max: number, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) throw new InputError(`${name}: larger than ${max} bytes`, name);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The most of a refused upload read (and dropped) so its client can be answered; past it the connection is cut. */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;

function discardRest(input: Readable): void {
  let left = DISCARD_MAX_BYTES;
  input.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) input.destroy();
  });
  input.on('error', () => undefined);
  input.resume();
}

/** Takes a bundle apart as it arrives; throws InputError naming the entry and the reason. */
export async function readBundle(input: Readable, options: ReadBundleOptions): Promise<ReadBundle> {
  const extract = tar.extract();
  let metadata: ReleaseMetadata | undefined;
  let metadataBytes: Buffer | undefined;
  let signature: ReleaseSignature | undefined;
  let wanted = new Map<string, number>();
  const staged = new Map<string, string>();

  const consume = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '');
      if (entry.header.type !== 'file') throw new InputError(`${name}: only files belong in a release bundle`, 'bundle');
      if (name === 'release.json') {
        if (metadataBytes) throw new InputError('release.json: appears twice', 'release.json');
        metadataBytes = await readAll(entry as unknown as Readable, METADATA_MAX_BYTES, 'release.json');
        let raw: unknown;
        try {
          raw = JSON.parse(metadataBytes.toString('utf8'));
        } catch (err) {
          throw new InputError(`release.json: not JSON: ${(err as Error).message}`, 'release.json');
        }
        metadata = checkReleaseMetadata(raw);
        wanted = blobsOf(metadata);
      } else if (name === 'release.sig') {
        if (!metadataBytes) throw new InputError('release.sig: comes before release.json; the bundle was not made by "starling release build"', 'bundle');
        const text = (await readAll(entry as unknown as Readable, 4096, 'release.sig')).toString('utf8');
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          throw new InputError('release.sig: not JSON', 'release.sig');
        }
        signature = verifyRelease(metadataBytes, raw, options.trusted);
      } else if (name.startsWith('blobs/')) {
        const sha256 = name.slice('blobs/'.length);
        if (!signature) throw new InputError(`${name}: content before a verified signature; the bundle is not signed (release.sig)`, 'release.sig');
        if (!SHA256_RE.test(sha256) || !wanted.has(sha256)) throw new InputError(`${name}: not a digest listed in release.json`, 'bundle');
        if (staged.has(sha256)) throw new InputError(`${name}: appears twice`, 'bundle');
        const file = metadata!.files.find((f) => f.sha256 === sha256)!;
        const signedSize = wanted.get(sha256)!;
        // The tar header says how long the entry is: refused before a byte of it is written, so a blob
        // padded to gigabytes costs no disk. (tar-stream holds the entry to that length.)
        if (entry.header.size !== signedSize) {
          throw new InputError(`${name}: ${entry.header.size ?? 0} bytes where release.json signs ${signedSize} for ${file.path}: the bundle was tampered with or corrupted`, 'bundle');
        }
        const path = join(options.stagingDir, sha256);
        const hash = createHash('sha256');
        let size = 0;
        (entry as unknown as Readable).on('data', (chunk: Buffer) => {
          hash.update(chunk);
          size += chunk.length;
        });
        await pipeline(entry as unknown as Readable, createWriteStream(path));
        if (hash.digest('hex') !== sha256 || size !== signedSize) {
          throw new InputError(`${name}: the content of ${file.path} does not match its signed digest: the bundle was tampered with or corrupted`, 'bundle');
        }
        staged.set(sha256, path);
      } else {
        throw new InputError(`${name}: not part of a release bundle (release.json, release.sig, blobs/<sha256>)`, 'bundle');
      }
    }
  })();
  // Piped by hand, not with pipeline(): on a refusal pipeline would destroy the upload's socket, and
  // the client would see a reset instead of the reason.
  const fed = new Promise<void>((resolve, reject) => {
    input.once('error', reject);
    extract.once('error', reject);
    extract.once('finish', resolve);
    input.pipe(extract as unknown as NodeJS.WritableStream);
  });
  try {
    await Promise.all([consume, fed]);
  } catch (err) {
    input.unpipe(extract as unknown as NodeJS.WritableStream);
    extract.destroy();
    discardRest(input);
    if (err instanceof InputError) throw err;
    throw new InputError(`bundle: not a readable release bundle (tar): ${(err as Error).message}`, 'bundle');
  }
  if (!metadata || !metadataBytes) throw new InputError('release.json: missing; not a release bundle', 'bundle');
  if (!signature) throw new InputError('release.sig: the bundle is not signed (sign it with "starling release build --key")', 'release.sig');
  for (const [sha256] of wanted) {
    if (!staged.has(sha256) && !(await options.has(sha256))) {
      const file = metadata.files.find((f) => f.sha256 === sha256)!;
      throw new InputError(`blobs/${sha256}: missing (content of ${file.path})`, 'bundle');
    }
  }
  return { metadata, metadataText: metadataBytes.toString('utf8'), signature, staged };
}
