/**
 * `alarm list --watch`: draws the list, then redraws it whenever the change
 * stream says something changed. Reconnects with Last-Event-ID after a drop,
 * so no change is missed while the link is down.
 */
import type { Command } from 'commander';
import { durations } from '../core/durations.js';
import { SseParser } from '../protocol/sse-parser.js';
import type { AlarmView } from '../resources/alarms/alarm.views.js';
import { ALARM_COLUMNS, alarmQuery, type AlarmListOptions } from './alarm-list.js';
import { fetchPages } from './pages.js';
import type { CliContext } from './context.js';
import { renderList } from './output.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function watchAlarms(ctx: CliContext, cmd: Command, options: AlarmListOptions, signal?: AbortSignal): Promise<void> {
  const format = ctx.format(cmd);
  const redraw = async () => {
    const page = await fetchPages<AlarmView>(ctx, '/api/v1/alarms', alarmQuery(options), true);
    const clear = format === 'table' && process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
    ctx.out(`${clear}Alarms at ${new Date().toISOString()} (${page.items.length} active; Ctrl-C to stop)\n${renderList(format, page.items, ALARM_COLUMNS)}`);
  };
  let lastEventId: string | undefined;
  await redraw();
  while (!signal?.aborted) {
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    try {
      const res = await ctx.client().stream('/api/v1/stream', lastEventId ? { 'last-event-id': lastEventId } : {}, controller.signal);
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const messages = parser.push(decoder.decode(chunk, { stream: true }));
        lastEventId = parser.lastId ?? lastEventId;
        const changed = messages.some((m) => m.event !== 'hello' && m.event !== 'log' && m.event !== 'msg');
        if (changed) await redraw();
      }
    } catch (err) {
      if (signal?.aborted) return;
      ctx.err(`stream interrupted (${(err as Error).message}); reconnecting`);
    }
    await sleep(durations.cliWatchReconnectMs);
  }
}
