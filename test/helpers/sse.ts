/** Reading Server-Sent Events from a real HTTP stream in tests. */
import assert from 'node:assert/strict';
import { SseParser, type SseMessage } from '../../src/protocol/sse-parser.js';

export type { SseMessage } from '../../src/protocol/sse-parser.js';

/** Reads SSE messages from a real HTTP stream until `until` says stop (or `timeoutMs` passes). */
export async function readStream(url: string, token: string, headers: Record<string, string>, until: (m: SseMessage[]) => boolean, timeoutMs = 5000): Promise<SseMessage[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const messages: SseMessage[] = [];
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const timeout = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      messages.push(...parser.push(decoder.decode(chunk, { stream: true })));
      if (until(messages)) break;
    }
  } finally {
    clearTimeout(timeout);
    controller.abort();
  }
  return messages;
}
