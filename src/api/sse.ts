/**
 * One Server-Sent Events connection on a hijacked reply: the headers, a
 * keep-alive comment under common proxies' idle timeouts, a cut-off for a
 * client too far behind (it reconnects and catches up), and one close path
 * that the client, a slow reader, the controller's shutdown and a revoked
 * caller (see event-streams.ts) all share.
 */
import type { FastifyReply } from 'fastify';
import { durations } from '../core/durations.js';

/** A client this far behind is cut off; it reconnects and catches up. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface SseConnection {
  /** Writes one `event:` with JSON data (and an `id:` when given); does nothing once closed. */
  send(event: string, data: unknown, id?: number): void;
  close(): void;
  /** Sends `event: end` with the reason (so the client knows not to just reconnect), then closes. */
  end(reason: string): void;
  readonly closed: boolean;
}

export function openSse(reply: FastifyReply, onClose: () => void): SseConnection {
  const raw = reply.raw;
  let closed = false;
  const write = (text: string) => {
    // Never write after end(): a second write-after-end error is uncaught and ends the process.
    if (closed || raw.writableEnded || raw.destroyed) return;
    raw.write(text);
    if (raw.writableLength > MAX_BUFFERED_BYTES) close();
  };
  const heartbeat = setInterval(() => write(': keep-alive\n\n'), durations.streamHeartbeatMs);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    onClose();
    raw.end();
  };
  raw.on('close', close);
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const send = (event: string, data: unknown, id?: number) => write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  return {
    send,
    close,
    end: (reason) => {
      send('end', { reason });
      close();
    },
    get closed() {
      return closed;
    },
  };
}
