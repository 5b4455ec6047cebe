/**
 * Server-Sent Events over fetch, because EventSource cannot send the
 * Authorization header. Reconnects with backoff and resumes with
 * Last-Event-ID, as EventSource would; `stop()` ends it for good. A 401
 * (the server ends a stream with `event: end` when its token is revoked,
 * expired or logged out, and refuses the reconnect) ends the session.
 */
import { SseParser, type SseMessage } from '../../src/protocol/sse-parser.js';
import { session } from './api';

export function subscribe(path: string, onMessage: (m: SseMessage) => void, onState?: (connected: boolean) => void): () => void {
  const abort = new AbortController();
  let lastId: string | undefined;
  let delay = 500;
  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${session.token ?? ''}` };
        if (lastId !== undefined) headers['last-event-id'] = lastId;
        const res = await fetch(`api/v1${path}`, { headers, signal: abort.signal });
        if (res.status === 401) {
          session.ended();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onState?.(true);
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            lastId = parser.lastId ?? lastId;
            if (message.data) onMessage(message);
          }
        }
      } catch {
        if (abort.signal.aborted) return;
      }
      onState?.(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => abort.abort();
}
