/**
 * What a subcloud's uplink needs from its site: its alarm changes in order,
 * a snapshot of its active alarms, its status, and a way to apply synced
 * content. A real subcloud reads its database (db-site.ts); the fleet
 * simulator's virtual subclouds keep the same things in memory.
 */
import type { QueuedOp } from '../protocol/op-queue.js';
import type { SiteJob, SubcloudOp, SubcloudStatus } from '../protocol/subcloud-wire.js';
import type { FetchSource } from './release-fetch.js';

export interface AlarmSnapshot {
  up_to_seq: number;
  alarms: SubcloudOp[];
}

export interface SiteSource {
  /** All active alarms and the sequence number they are current as of, read consistently. */
  snapshot(): Promise<AlarmSnapshot>;
  /**
   * Alarm changes after `seq`, oldest first, at most `max`. `gap` is true when
   * changes after `seq` may have been pruned: a snapshot must be sent instead.
   */
  opsAfter(seq: number, max: number): Promise<{ ops: Array<QueuedOp<SubcloudOp>>; gap: boolean }>;
  /** Status without sync_errors (the uplink adds them), with the orchestration job's progress. */
  status(): Promise<SubcloudStatus>;
  /** Applies one endpoint's content; throws with the reason when it cannot. */
  apply(endpoint: string, content: unknown): Promise<void>;
  /**
   * Takes the orchestration job of the desired state (or none) and returns
   * at once: the job runs in the background, its progress in status().
   * `source` is where to fetch release content from.
   */
  orchestrate(job: SiteJob | undefined, source: FetchSource): Promise<void>;
  /**
   * Calls `listener` after each local alarm change and each change of the
   * job's progress (to send it at once); returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void;
}
