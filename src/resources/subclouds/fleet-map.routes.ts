/**
 * GET /api/v1/fleet/map: every subcloud's worst state, in columns (the
 * dashboard's overview). GET /api/v1/fleet/map/stream: the same as
 * Server-Sent Events — `map` (the whole map) first and whenever subclouds
 * or groups are added, removed or renamed, then `tiles` with only the
 * subclouds whose state changed and the new counts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { errorResponses } from '../../api/schemas.js';
import type { EventStreams } from '../../api/event-streams.js';
import type { Schema } from '../../db/schema.js';
import { ANY_ROLE } from '../users/roles.js';
import { readFleetMap, TILE_STATES } from './fleet-map.js';
import type { FleetMapWatcher } from './fleet-map.watcher.js';

const Counts = Type.Object(Object.fromEntries(TILE_STATES.map((s) => [s, Type.Integer()])));

const FleetMapSchema = Type.Object(
  {
    states: Type.Array(Type.String(), { description: `Tile states, worst first: ${TILE_STATES.join(', ')}` }),
    groups: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
    counts: Counts,
    subclouds: Type.Object(
      {
        name: Type.Array(Type.String()),
        group: Type.Array(Type.Integer(), { description: 'Index into groups' }),
        state: Type.Array(Type.Integer(), { description: 'Index into states' }),
        managed: Type.Array(Type.Integer(), { description: '1 managed, 0 unmanaged' }),
      },
      { description: 'Parallel columns, one entry per subcloud, ordered by name' },
    ),
  },
  { title: 'FleetMap' },
);

export const fleetMapRoutes =
  ({ db, watcher, streams }: { db: Kysely<Schema>; watcher: FleetMapWatcher; streams: EventStreams }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/fleet/map',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['subclouds'],
          summary: "Every subcloud's worst state (offline, critical, major, deploying, out-of-sync, OK), in columns",
          response: { 200: FleetMapSchema, ...errorResponses },
        },
      },
      async () => readFleetMap(db),
    );

    app.get(
      '/fleet/map/stream',
      {
        config: { roles: ANY_ROLE },
        schema: {
          tags: ['subclouds'],
          summary: 'Server-Sent Events of the fleet map: map first, then tiles (changed subclouds: [name, state, managed]) with counts',
          description: 'Ends with event: end and a reason when the caller may no longer read (token revoked or expired, role changed, user deleted, logged out).',
        },
      },
      async (request, reply) => {
        const unwatching: { fn?: () => void } = {};
        const sse = streams.start(request, reply, () => unwatching.fn?.());
        unwatching.fn = await watcher.watch((update) => (update.type === 'map' ? sse.send('map', update.map) : sse.send('tiles', { changes: update.changes, counts: update.counts })));
        // Closed while the first map was read: nothing else will unwatch it.
        if (sse.closed) unwatching.fn();
      },
    );
  };
