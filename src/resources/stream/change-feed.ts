/**
 * Fan-out of committed fault changes to live subscribers (the SSE stream).
 * Publishers call `publish` only after their transaction commits, so a
 * subscriber never sees a change that was rolled back.
 *
 * This is the in-process implementation; replicas of a PostgreSQL-backed
 * system controller will carry the same messages over LISTEN/NOTIFY behind
 * this interface.
 */
import type { EventView } from '../alarms/alarm.views.js';

export type FaultChange =
  | { type: 'event'; event: EventView }
  /** Suppression changed which alarms are visible; listeners should re-read. */
  | { type: 'suppression'; alarm_ids: string[] | 'all'; suppression_status: 'suppressed' | 'unsuppressed' };

export type ChangeListener = (change: FaultChange) => void;

export interface ChangeFeed {
  publish(changes: FaultChange[]): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: ChangeListener): () => void;
  readonly subscribers: number;
}

export function createChangeFeed(): ChangeFeed {
  const listeners = new Set<ChangeListener>();
  return {
    publish(changes) {
      for (const change of changes) for (const l of listeners) l(change);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get subscribers() {
      return listeners.size;
    },
  };
}
