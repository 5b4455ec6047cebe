/**
 * Pushes fleet map changes to open dashboards. Subcloud state changes come
 * from many places (reports, the availability and sync audits, the fleet
 * orchestrator), so rather than hook each one, one shared reader re-reads
 * the map every `fleetMapRefreshMs` while anyone is watching, and sends
 * each watcher only the tiles that changed. With no watchers it reads
 * nothing; with many it still reads once per period.
 */
import type { Kysely } from 'kysely';
import { durations } from '../../core/durations.js';
import type { Logger } from '../../core/logging.js';
import type { Schema } from '../../db/schema.js';
import { diffFleetMaps, readFleetMap, type FleetMap } from './fleet-map.js';

export type FleetMapUpdate = { type: 'map'; map: FleetMap } | { type: 'tiles'; changes: Array<[string, number, number]>; counts: FleetMap['counts'] };

export class FleetMapWatcher {
  private readonly watchers = new Set<(update: FleetMapUpdate) => void>();
  private last: FleetMap | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(
    private readonly db: Kysely<Schema>,
    private readonly log: Logger,
    private readonly periodMs = durations.fleetMapRefreshMs,
  ) {}

  /** Sends the whole map first, then changes; returns the unsubscribe function. */
  async watch(listener: (update: FleetMapUpdate) => void): Promise<() => void> {
    // While others watch, the shared read (at most one period old) is the start; changes since come as tiles.
    const map = this.timer && this.last ? this.last : await readFleetMap(this.db);
    listener({ type: 'map', map });
    this.watchers.add(listener);
    if (!this.timer) {
      this.last = map;
      this.timer = setInterval(() => void this.refresh(), this.periodMs);
      this.timer.unref();
    }
    return () => {
      this.watchers.delete(listener);
      if (this.watchers.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  private async refresh(): Promise<void> {
    if (this.reading) return; // a slow read (a busy database) skips a beat rather than piling up
    this.reading = true;
    try {
      const map = await readFleetMap(this.db);
      const before = this.last;
      if (!this.timer) return;
      this.last = map;
      const changes = before ? diffFleetMaps(before, map) : null;
      const update: FleetMapUpdate = changes ? { type: 'tiles', changes, counts: map.counts } : { type: 'map', map };
      if (changes && changes.length === 0) return;
      for (const listener of [...this.watchers]) listener(update);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'fleet map refresh failed; trying again next period');
    } finally {
      this.reading = false;
    }
  }
}
