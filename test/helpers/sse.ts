/** Reading Server-Sent Events from a real HTTP stream in tests. */
import assert from 'node:assert/strict';

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads SSE messages from a real HTTP stream until `until` says stop (or `timeoutMs` passes). */
export async function readStream(url: string, token: string, headers: Record<string, string>, until: (m: SseMessage[]) => boolean, timeoutMs = 5000): Promise<SseMessage[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const messages: SseMessage[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const timeout = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) continue;
        const m: SseMessage = {};
        for (const line of block.split('\n')) {
          const i = line.indexOf(': ');
          const [k, v] = [line.slice(0, i), line.slice(i + 2)];
          if (k === 'id' || k === 'event' || k === 'data') m[k] = v;
        }
        messages.push(m);
      }
      if (until(messages)) break;
    }
  } finally {
    clearTimeout(timeout);
    controller.abort();
  }
  return messages;
}

