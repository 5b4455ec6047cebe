/**
 * Server-Sent Events, the wire format of /api/v1/stream and
 * /api/v1/fleet/map/stream: text in, whole messages out, however the text
 * was split into chunks. One parser for every reader — the CLI's `--watch`,
 * the dashboard (this file has no Node dependencies, so the browser build
 * takes it as it is) and the tests. Comments (keep-alives) yield nothing;
 * data lines join with a newline, as the specification says.
 */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  private buffer = '';
  /** The last `id:` seen: send it as Last-Event-ID when reconnecting. */
  lastId: string | undefined;

  push(text: string): SseMessage[] {
    this.buffer += text;
    const messages: SseMessage[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const message: SseMessage = { event: 'message', data: '' };
      const data: string[] = [];
      let fields = 0;
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const key = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (key === 'event') message.event = value;
        else if (key === 'data') data.push(value);
        else if (key === 'id') message.id = this.lastId = value;
        else continue;
        fields++;
      }
      if (!fields) continue;
      message.data = data.join('\n');
      messages.push(message);
    }
    return messages;
  }
}
