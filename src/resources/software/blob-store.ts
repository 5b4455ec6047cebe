/**
 * Release content on disk, addressed by sha256: `<root>/blobs/<sha256>`.
 * Uploads stage into `<root>/staging/<random>/` and move in with a rename
 * (same filesystem, atomic), so a blob under blobs/ is always whole and
 * checked. Staging folders left by a crash are removed at start.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SHA256_RE } from './release-metadata.js';

export class BlobStore {
  readonly blobsDir: string;
  private readonly stagingRoot: string;
  private readonly partialDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs');
    this.stagingRoot = join(root, 'staging');
    this.partialDir = join(root, 'partial');
  }

  /**
   * Creates the folders and drops staging left by an interrupted upload.
   * Partial downloads are kept: a fetch from the system controller resumes
   * from the byte it reached, across restarts.
   */
  async open(): Promise<void> {
    await rm(this.stagingRoot, { recursive: true, force: true });
    await mkdir(this.blobsDir, { recursive: true });
    await mkdir(this.stagingRoot, { recursive: true });
    await mkdir(this.partialDir, { recursive: true });
  }

  /** Where a blob being fetched collects its bytes until it is whole and verified. */
  partialPath(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new Error(`not a sha256 digest: ${sha256}`);
    return join(this.partialDir, sha256);
  }

  pathOf(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new Error(`not a sha256 digest: ${sha256}`);
    return join(this.blobsDir, sha256);
  }

  /** The blob's size, or undefined when the store does not hold it. */
  async size(sha256: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch {
      return undefined;
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.size(sha256)) !== undefined;
  }

  /** A fresh staging folder; pass it to `discard` when done. */
  async stage(): Promise<string> {
    const dir = join(this.stagingRoot, randomBytes(8).toString('hex'));
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Moves checked blobs from staging into the store. */
  async adopt(staged: Map<string, string>): Promise<void> {
    for (const [sha256, path] of staged) await rename(path, this.pathOf(sha256));
  }

  async discard(stagingDir: string): Promise<void> {
    await rm(stagingDir, { recursive: true, force: true });
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }
}
