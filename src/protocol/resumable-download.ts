/**
 * Downloads one content blob to a file, resuming where an earlier attempt
 * stopped: the bytes already in `dest` are kept and only the rest is asked
 * for (HTTP Range). When the file is whole its sha256 must match, or it is
 * removed and the download fails — a blob is used only once verified.
 *
 * `bytesPerSecond` caps the rate (prestage's per-subcloud bandwidth limit)
 * by pacing reads: the body is pulled no faster than the cap, so TCP flow
 * control slows the sender too.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BlobDownload {
  url: string;
  headers?: Record<string, string>;
  dest: string;
  sha256: string;
  size: number;
  bytesPerSecond?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Told of each chunk written (for progress). */
  onBytes?: (n: number) => void;
}

export class DownloadError extends Error {
  constructor(
    message: string,
    /** Worth retrying (link trouble) rather than a bad blob or a refusal. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Returns the bytes transferred by this call (0 when the file was already whole). */
export async function downloadBlob(d: BlobDownload): Promise<number> {
  let have = await sizeOf(d.dest);
  if (have > d.size) {
    await rm(d.dest, { force: true });
    have = 0;
  }
  let transferred = 0;
  if (have < d.size) {
    const doFetch = d.fetch ?? fetch;
    let res: Response;
    try {
      res = await doFetch(d.url, { headers: { ...d.headers, ...(have > 0 ? { range: `bytes=${have}-` } : {}) }, ...(d.signal ? { signal: d.signal } : {}) });
    } catch (err) {
      throw new DownloadError(`${d.url}: ${(err as Error).message}`, true);
    }
    if (have > 0 && res.status === 200) {
      // The server ignored the range: start over rather than append a second copy.
      await rm(d.dest, { force: true });
      have = 0;
    } else if (res.status !== 200 && res.status !== 206) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      throw new DownloadError(`${d.url}: HTTP ${res.status} ${text}`, res.status >= 500 || res.status === 429);
    }
    const out = createWriteStream(d.dest, { flags: have > 0 ? 'a' : 'w' });
    const started = Date.now();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        transferred += chunk.length;
        d.onBytes?.(chunk.length);
        if (d.bytesPerSecond) {
          const ahead = (transferred / d.bytesPerSecond) * 1000 - (Date.now() - started);
          if (ahead > 5) await sleep(ahead, undefined, d.signal ? { signal: d.signal } : undefined);
        }
      }
    } catch (err) {
      throw new DownloadError(`${d.url}: transfer interrupted after ${have + transferred} of ${d.size} bytes: ${(err as Error).message}`, true);
    } finally {
      await new Promise<void>((resolve) => out.end(() => resolve()));
    }
    have += transferred;
    if (have < d.size) throw new DownloadError(`${d.url}: transfer ended at ${have} of ${d.size} bytes`, true);
  }
  if ((await hashOf(d.dest)) !== d.sha256) {
    await rm(d.dest, { force: true });
    throw new DownloadError(`${d.url}: the content does not match its digest ${d.sha256}; discarded`, false);
  }
  return transferred;
}
