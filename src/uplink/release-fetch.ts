/**
 * Fetches a release from the system controller into this site's store
 * (prestage): the signed metadata first, checked against the keys this
 * site trusts (synced from the system controller with `platform`), then each
 * blob it lacks, by digest, with HTTP Range so a cut link or a restart
 * resumes from the byte reached, at most `bytesPerSecond`. Only then is the
 * release added, `available`.
 */
import { rename, stat } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { InputError } from '../core/errors.js';
import type { Schema } from '../db/schema.js';
import { downloadBlob, DownloadError } from '../protocol/resumable-download.js';
import type { BlobStore } from '../resources/software/blob-store.js';
import { blobsOf, checkReleaseMetadata, type ReleaseMetadata } from '../resources/software/release-metadata.js';
import { verifyRelease, type TrustedKey } from '../resources/software/release-signature.js';
import type { ReleaseService } from '../resources/software/release.service.js';
import { listTrustedKeys } from '../resources/software/trust.store.js';

export interface FetchSource {
  /** The system controller's address and this subcloud's credential. */
  url: string;
  token: string;
  /** fetch over the link's TLS (the pinned CA and the client certificate); not stored with a job. @default global fetch */
  fetch?: typeof fetch;
}

export interface FetchOptions {
  db: Kysely<Schema>;
  store: BlobStore;
  releases: ReleaseService;
  source: FetchSource;
  releaseId: string;
  bytesPerSecond?: number;
  signal?: AbortSignal;
  /** Progress: bytes the release's content has on this site so far, of all. */
  progress?: (done: number, total: number) => void;
}

/** A release's URL on the system controller and the subcloud's auth header. */
export function releaseUrl(source: FetchSource, releaseId: string): { base: string; headers: Record<string, string> } {
  return { base: `${source.url.replace(/\/$/, '')}/api/v1/software/releases/${encodeURIComponent(releaseId)}`, headers: { authorization: `Bearer ${source.token}` } };
}

/**
 * The release's signed metadata from the system controller, checked against
 * `trusted` before a byte of content moves: an untrusted release is not
 * fetched at all. Throws DownloadError (retryable or not) or InputError
 * (untrusted or bad metadata).
 */
export async function fetchSignedMetadata(source: FetchSource, releaseId: string, trusted: TrustedKey[], signal?: AbortSignal): Promise<{ text: string; signature: unknown; meta: ReleaseMetadata }> {
  const { base, headers } = releaseUrl(source, releaseId);
  let res: Response;
  try {
    res = await (source.fetch ?? fetch)(`${base}/signed`, { headers, ...(signal ? { signal } : {}) });
  } catch (err) {
    throw new DownloadError(`${base}/signed: ${(err as Error).message}`, true);
  }
  if (!res.ok) throw new DownloadError(`${base}/signed: HTTP ${res.status} ${(await res.text().catch(() => '')).slice(0, 200)}`, res.status >= 500 || res.status === 429);
  const signed = (await res.json()) as { metadata: string; signature: unknown };
  verifyRelease(Buffer.from(signed.metadata), signed.signature, trusted);
  const meta = checkReleaseMetadata(JSON.parse(signed.metadata) as unknown);
  if (meta.id !== releaseId) throw new InputError(`the system controller sent release ${meta.id} for ${releaseId}`, 'release_id');
  return { text: signed.metadata, signature: signed.signature, meta };
}

/** The cause code (fleet-causes.ts) of a fetch that failed for good. */
export function fetchFailureCause(err: unknown): string {
  const message = (err as Error).message;
  if (err instanceof DownloadError) return message.includes('does not match its digest') ? 'content-corrupt' : 'fetch-refused';
  return message.includes('release.sig') ? 'release-untrusted' : 'prestage-failed';
}

/** Throws DownloadError (retryable or not) or InputError (untrusted or bad metadata). */
export async function fetchRelease(o: FetchOptions): Promise<void> {
  const { base, headers } = releaseUrl(o.source, o.releaseId);
  const signed = await fetchSignedMetadata(o.source, o.releaseId, await listTrustedKeys(o.db), o.signal);
  const meta = signed.meta;

  const blobs = [...blobsOf(meta).entries()];
  const total = blobs.reduce((t, [, size]) => t + size, 0);
  let done = 0;
  for (const [sha256, size] of blobs) if (await o.store.has(sha256)) done += size;
  o.progress?.(done, total);
  for (const [sha256, size] of blobs) {
    if (await o.store.has(sha256)) continue;
    const dest = o.store.partialPath(sha256);
    done += Math.min(size, await stat(dest).then((st) => st.size, () => 0));
    o.progress?.(done, total);
    await downloadBlob({
      url: `${base}/blobs/${sha256}`,
      headers,
      dest,
      sha256,
      size,
      ...(o.bytesPerSecond ? { bytesPerSecond: o.bytesPerSecond } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.source.fetch ? { fetch: o.source.fetch } : {}),
      onBytes: (n) => o.progress?.((done += n), total),
    });
    await rename(dest, o.store.pathOf(sha256));
  }
  o.progress?.(total, total);
  await o.releases.importFetched(signed.text, signed.signature);
}
