/**
 * The child's queue of operations for its parent (alarm raises and clears,
 * logs), each with a sequence number. Every report carries the unacknowledged
 * operations; the parent applies those above the last sequence it applied, in
 * one transaction with recording that sequence, and acknowledges. So each
 * operation takes effect exactly once, in order, however often the link drops
 * and a report is resent.
 *
 * The queue is written to a file (atomically, mode 0600) after every change,
 * so operations survive the agent's restart too.
 */
import { readFileSync } from 'node:fs';
import { writeDurably } from '../core/durable-file.js';

export interface QueuedOp<T> {
  seq: number;
  op: T;
}

interface QueueFile<T> {
  next_seq: number;
  ops: Array<QueuedOp<T>>;
}

export class OpQueue<T> {
  private state: QueueFile<T>;

  /**
   * @param path file to persist to; undefined keeps the queue in memory (simulated children).
   * @param limit oldest operations beyond this are dropped (and counted) so a
   *   child cut off for weeks cannot grow without bound.
   */
  constructor(
    private readonly path: string | undefined,
    private readonly limit = 10_000,
  ) {
    this.state = { next_seq: 1, ops: [] };
    if (path) {
      try {
        this.state = JSON.parse(readFileSync(path, 'utf8')) as QueueFile<T>;
      } catch {
        // No queue yet (first start) or unreadable: start empty.
      }
    }
  }

  /** Operations dropped because the queue was full. */
  dropped = 0;

  push(op: T): number {
    const seq = this.state.next_seq++;
    this.state.ops.push({ seq, op });
    if (this.state.ops.length > this.limit) {
      this.dropped += this.state.ops.length - this.limit;
      this.state.ops.splice(0, this.state.ops.length - this.limit);
    }
    this.save();
    return seq;
  }

  /** The unacknowledged operations, oldest first (at most `max`). */
  pending(max = 1000): Array<QueuedOp<T>> {
    return this.state.ops.slice(0, max);
  }

  get size(): number {
    return this.state.ops.length;
  }

  /** Drops everything up to and including `seq`. */
  ack(seq: number): void {
    if (seq >= this.state.next_seq) {
      // The parent has applied sequence numbers this queue has not issued (the
      // queue file was lost): number on from there, or new operations would
      // be taken for ones already applied.
      this.state.next_seq = seq + 1;
      this.save();
    }
    const before = this.state.ops.length;
    this.state.ops = this.state.ops.filter((o) => o.seq > seq);
    if (this.state.ops.length !== before) this.save();
  }

  private save(): void {
    if (this.path) writeDurably(this.path, JSON.stringify(this.state));
  }
}
