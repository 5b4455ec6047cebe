/**
 * HTTP Range for file downloads (RFC 9110 §14): one range per request —
 * `bytes=a-b`, `bytes=a-` or `bytes=-n` — which is what a transfer that
 * resumes after a dropped link asks for. Several ranges are answered with
 * the whole file, as the RFC allows.
 */
import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/** The requested range of a file of `size` bytes; undefined means the whole file. */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** Sends a file, or the part of it the Range header asks for. */
export function sendFileRange(reply: FastifyReply, path: string, size: number, rangeHeader: string | undefined, contentType = 'application/octet-stream'): FastifyReply {
  reply.header('accept-ranges', 'bytes').type(contentType);
  const range = parseRange(rangeHeader, size);
  if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${size}`).send();
  if (!range) return reply.header('content-length', size).send(createReadStream(path));
  return reply
    .code(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
    .header('content-length', range.end - range.start + 1)
    .send(createReadStream(path, { start: range.start, end: range.end }));
}
