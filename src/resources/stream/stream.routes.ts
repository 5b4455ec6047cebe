/**
 * GET /api/v1/stream: Server-Sent Events of fault changes.
 *
 * Each event-log row is sent with `id: <seq>` and `event: <alarm_state>`
 * (set, clear, log, msg), so a client that reconnects with `Last-Event-ID`
 * (EventSource does this itself) gets exactly what it missed, from the
 * database, then the live feed. If what it missed was already pruned it gets
 * `event: reset` and should re-read the lists. Suppression changes come as
 * `event: suppression` (no id: they are not in the event log).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { EventStreams } from '../../api/event-streams.js';
import { InputError } from '../../core/errors.js';
import type { Schema } from '../../db/schema.js';
import { toEventView } from '../alarms/alarm.views.js';
import { eventBounds, eventsAfter } from '../events/event.store.js';
import { ANY_ROLE } from '../users/roles.js';
import type { ChangeFeed, FaultChange } from './change-feed.js';

const BACKLOG_PAGE = 1000;

export interface StreamDeps {
  db: Kysely<Schema>;
  feed: ChangeFeed;
  /** Open streams register here, so shutdown and a revoked caller end them. */
  streams: EventStreams;
}

export const streamRoutes =
  ({ db, feed, streams }: StreamDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/stream',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['events'],
          summary: 'Server-Sent Events of alarm and event changes, resumable with Last-Event-ID',
          description:
            'Events: set, clear, log, msg (id = event seq), suppression (no id), reset (what you missed was pruned: re-read), hello (first message: the current last id), end (the caller may no longer read: token revoked or expired, role changed, user deleted, logged out; the stream closes).',
          headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^\\d{1,15}$' })) }),
          querystring: Type.Object({ last_event_id: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
        },
      },
      async (request, reply) => {
        const header = request.headers['last-event-id'];
        const resumeFrom = header !== undefined ? Number(header) : request.query.last_event_id;
        if (resumeFrom !== undefined && !Number.isSafeInteger(resumeFrom)) throw new InputError('last-event-id: must be an event seq', 'last-event-id');

        // Subscribe before reading the backlog so nothing committed in between is lost.
        let live = false;
        const pending: FaultChange[] = [];
        let lastSent = resumeFrom ?? 0;
        const send = (change: FaultChange) => {
          if (change.type === 'suppression') return sse.send('suppression', change);
          if (change.event.seq <= lastSent) return;
          lastSent = change.event.seq;
          sse.send(change.event.alarm_state, change.event, change.event.seq);
        };
        const unsubscribe = feed.subscribe((change) => (live ? send(change) : pending.push(change)));
        const sse = streams.start(request, reply, unsubscribe);

        try {
          const bounds = await eventBounds(db);
          if (resumeFrom === undefined) {
            lastSent = bounds.last ?? 0;
            sse.send('hello', { last_event_id: lastSent }, lastSent);
          } else {
            if (bounds.first !== null && resumeFrom < bounds.first - 1) {
              sse.send('reset', { reason: `events up to ${bounds.first - 1} were pruned; re-read alarms and events`, first_event_id: bounds.first });
            }
            for (;;) {
              const rows = await eventsAfter(db, lastSent, BACKLOG_PAGE);
              for (const row of rows) {
                if (sse.closed) break;
                send({ type: 'event', event: toEventView(row) });
              }
              if (rows.length < BACKLOG_PAGE || sse.closed) break;
            }
          }
        } catch (err) {
          request.log.error({ err }, 'stream backlog failed');
          sse.close();
          return;
        }
        if (sse.closed) return;
        for (const change of pending) send(change);
        pending.length = 0;
        live = true;
      },
    );
  };
