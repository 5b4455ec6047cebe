/**
 * Server-Sent Events over fetch, because EventSource cannot send the
 * Authorization header. Reconnects with backoff and resumes with
 * Last-Event-ID, as EventSource would; `stop()` ends it for good.
 */
import { session } from './api';

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

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
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        onState?.(true);
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const message: SseMessage = { event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const key = line.slice(0, colon);
              const val = line.slice(colon + 1).replace(/^ /, '');
              if (key === 'event') message.event = val;
              else if (key === 'data') message.data += val;
              else if (key === 'id') message.id = lastId = val;
            }
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
