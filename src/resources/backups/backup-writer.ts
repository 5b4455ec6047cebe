/**
 * Makes one platform backup archive from a running controller: a snapshot
 * of the database (db/snapshot.ts), the release blobs, the settings, and the
 * secrets sealed with the passphrase. Everything is written beside the
 * archive under a `.partial` name and renamed into place only when whole
 * and synced, so a backup killed or out of disk mid-way never looks like a
 * finished one.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '../../db/database.js';
import { openSnapshot } from '../../db/snapshot.js';
import { VERSION } from '../../core/version.js';
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, digestFile, manifestDigest, packArchive, SECRETS_PART, type Manifest, type ManifestPart } from './backup-archive.js';
import { sealSecrets } from './backup-crypto.js';
import { emptySecrets, withoutSecrets } from './backup-secrets.js';

export interface BackupSource {
  database: Database;
  /** The release blob store's folder (`<dataDir>/software`). */
  softwareDir: string;
  system: { name: string; role: string; mode: string };
  /** The controller's settings, secrets already taken out. */
  config: Record<string, unknown>;
  /** Settings that are secrets (e.g. the metrics token): sealed with the rest. */
  configSecrets: Record<string, string>;
}

export interface WrittenBackup {
  path: string;
  size: number;
  sha256: string;
  manifest: Manifest;
}

const SHA256_NAME = /^[0-9a-f]{64}$/;

export async function writeBackup(source: BackupSource, options: { outDir: string; name: string; passphrase?: string }): Promise<WrittenBackup> {
  const final = join(options.outDir, `${options.name}.tar`);
  if (existsSync(final)) throw new Error(`${final} exists already`);
  await mkdir(options.outDir, { recursive: true, mode: 0o700 });
  const staging = join(options.outDir, `.${options.name}.partial`);
  const partialTar = `${final}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'db'), { recursive: true, mode: 0o700 });
  try {
    const parts: ManifestPart[] = [];
    const sources = new Map<string, string>();
    const add = async (path: string, file: string) => {
      const d = await digestFile(file);
      parts.push({ path, size: d.size, sha256: d.sha256 });
      sources.set(path, file);
    };
    const secrets = emptySecrets();
    const snapshot = await openSnapshot(source.database);
    const tables: Manifest['tables'] = [];
    try {
      for (const table of snapshot.tables) {
        const file = join(staging, 'db', `${table}.ndjson`);
        const rows = await writeRows(file, snapshot.rows(table), (page) => withoutSecrets(table, page, secrets));
        tables.push({ name: table, rows });
        await add(`db/${table}.ndjson`, file);
      }
    } finally {
      await snapshot.close();
    }
    // Blobs are named by their sha256 and checked when they came in: their name is their digest.
    const blobsDir = join(source.softwareDir, 'blobs');
    for (const name of existsSync(blobsDir) ? (await readdir(blobsDir)).sort() : []) {
      if (!SHA256_NAME.test(name)) continue;
      const file = join(blobsDir, name);
      parts.push({ path: `software/blobs/${name}`, size: (await stat(file)).size, sha256: name });
      sources.set(`software/blobs/${name}`, file);
    }
    const configFile = join(staging, 'config.json');
    await writeFile(configFile, JSON.stringify(source.config, null, 2), { mode: 0o600 });
    await add('config.json', configFile);

    const manifest: Manifest = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      name: options.name,
      created_at: new Date().toISOString(),
      starling_version: VERSION,
      system: source.system,
      dialect: source.database.dialect,
      migrations: snapshot.migrations,
      tables,
      secrets: options.passphrase ? 'sealed' : 'omitted',
      parts,
    };
    if (options.passphrase) {
      const sealed = sealSecrets({ ...secrets, config: source.configSecrets }, options.passphrase, manifestDigest(manifest));
      const file = join(staging, SECRETS_PART);
      await writeFile(file, JSON.stringify(sealed), { mode: 0o600 });
      await add(SECRETS_PART, file);
    }
    await packArchive(partialTar, manifest, (part) => sources.get(part.path)!);
    const handle = await open(partialTar, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const whole = await digestFile(partialTar);
    await rename(partialTar, final);
    return { path: final, size: whole.size, sha256: whole.sha256, manifest };
  } catch (err) {
    await rm(partialTar, { force: true });
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Writes pages of rows as NDJSON, minding the file's backpressure; returns how many. */
async function writeRows(file: string, pages: AsyncIterable<Record<string, unknown>[]>, clean: (page: Record<string, unknown>[]) => Record<string, unknown>[]): Promise<number> {
  const out = createWriteStream(file, { mode: 0o600 });
  const closed = once(out, 'close');
  let count = 0;
  try {
    for await (const page of pages) {
      const rows = clean(page);
      count += rows.length;
      if (!rows.length) continue;
      if (!out.write(rows.map((r) => JSON.stringify(r)).join('\n') + '\n')) await once(out, 'drain');
    }
  } finally {
    out.end();
    await closed;
  }
  if (out.errored) throw out.errored;
  return count;
}

