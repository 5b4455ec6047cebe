/** The CLI's HTTP client: JSON in and out, server errors as one line. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { durations } from '../core/durations.js';
import { CliError } from './errors.js';
import { explainCertificateRefusal } from './trust.js';
import { tlsFetch } from '../pki/tls-fetch.js';
import { downloadBlob, DownloadError } from '../protocol/resumable-download.js';

export interface ApiClient {
  readonly url: string;
  request<T = unknown>(method: string, path: string, options?: { query?: Record<string, string | number | boolean | undefined>; body?: unknown }): Promise<T>;
  /** Streams a file as the request body (application/octet-stream). */
  upload<T = unknown>(path: string, file: string): Promise<T>;
  /** An open SSE response (for --watch). */
  stream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response>;
  /** Downloads `path` into `dest`, resuming from the bytes already there (HTTP Range); the whole must match `sha256`. */
  download(path: string, dest: string, expect: { size: number; sha256: string }, onBytes?: (n: number) => void): Promise<number>;
}

/** `ca`: the CA (PEM) to trust for an https:// controller; without it, the system's trusted CAs. */
export function createClient(url: string, token: string | undefined, ca?: string): ApiClient {
  const base = url.replace(/\/+$/, '');
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const fetchOverTls = tlsFetch(ca ? { ca } : undefined);

  const send = async (path: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetchOverTls(base + path, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if ((err as Error).name === 'TimeoutError') throw new CliError(`${base} did not answer within ${durations.cliRequestTimeoutMs / 1000} s`);
      const refused = explainCertificateRefusal(base, cause?.code, ca);
      if (refused) throw new CliError(refused);
      throw new CliError(`cannot reach ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
  };

  const parse = async <T>(res: Response): Promise<T> => {
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: reported as text below
    }
    if (!res.ok) {
      const message = (body as { message?: string } | undefined)?.message ?? (text.slice(0, 200) || res.statusText);
      const hint = res.status === 401 ? ' (run "starling login" again)' : '';
      throw new CliError(`${message}${hint} [HTTP ${res.status}]`);
    }
    return body as T;
  };

  return {
    url: base,
    async upload<T>(path: string, file: string) {
      await stat(file).catch(() => {
        throw new CliError(`${file}: no such file`);
      });
      const res = await send(path, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: Readable.toWeb(createReadStream(file)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      return parse<T>(res);
    },
    async request<T>(method: string, path: string, options: { query?: Record<string, string | number | boolean | undefined>; body?: unknown } = {}) {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query.set(k, String(v));
      const qs = query.size ? `?${query}` : '';
      const res = await send(path + qs, {
        method,
        headers: { ...auth, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(durations.cliRequestTimeoutMs),
      });
      return parse<T>(res);
    },
    async download(path, dest, expect, onBytes) {
      try {
        return await downloadBlob({ url: base + path, headers: auth, dest, size: expect.size, sha256: expect.sha256, fetch: fetchOverTls, ...(onBytes ? { onBytes } : {}) });
      } catch (err) {
        if (err instanceof DownloadError) throw new CliError(err.retryable ? `${err.message}; run the same command again to resume` : err.message);
        throw err;
      }
    },
    async stream(path, headers, signal) {
      const res = await send(path, { headers: { ...auth, ...headers }, signal });
      if (!res.ok) throw new CliError(`stream refused: HTTP ${res.status} ${await res.text()}`);
      return res;
    },
  };
}
