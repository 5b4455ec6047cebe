/**
 * Every open Server-Sent Events stream, so that two things can end them:
 * the controller's shutdown, and a change to who may read them. A stream is
 * authorised once, when it opens; without this it would go on sending for
 * hours after its token was revoked, its user demoted or deleted, or its
 * session logged out. Each stream remembers its Authorization header and
 * the role it was opened with; when the auth service says something changed
 * every stream is checked again at once, and all of them are checked every
 * few seconds for what this process cannot hear about (expiry, a change made
 * by another replica on the same database).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { durations } from '../core/durations.js';
import type { Principal } from '../resources/auth/auth.service.js';
import { openSse, type SseConnection } from './sse.js';

export interface StreamAuth {
  authenticate(header: string | undefined): Promise<Principal>;
  /** Calls `listener` whenever a user, token or session changes; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

interface OpenStream {
  header: string | undefined;
  role: Principal['role'];
  sse: SseConnection;
}

export class EventStreams {
  private readonly open = new Set<OpenStream>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;

  constructor(private readonly auth: StreamAuth) {
    auth.onChange(() => this.recheck());
  }

  get size(): number {
    return this.open.size;
  }

  /** Opens a stream for an authenticated request; `onClose` runs once however it ends. */
  start(request: FastifyRequest, reply: FastifyReply, onClose: () => void): SseConnection {
    const principal = request.principal!;
    const sse = openSse(reply, () => {
      this.open.delete(entry);
      if (!this.open.size) this.stopTimer();
      onClose();
    });
    const entry: OpenStream = { header: request.headers.authorization, role: principal.role, sse };
    this.open.add(entry);
    this.timer ??= setInterval(() => this.recheck(), durations.streamAuthRecheckMs).unref();
    return sse;
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    for (const stream of [...this.open]) stream.sse.close();
    this.stopTimer();
  }

  /** Checks every open stream's caller again; one check runs at a time, and a change during it asks for another. */
  recheck(): void {
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = this.checkAll().finally(() => {
      this.checking = undefined;
      if (this.again) {
        this.again = false;
        this.recheck();
      }
    });
  }

  /** Settles when no check is running (tests wait on it rather than on time). */
  async settled(): Promise<void> {
    while (this.checking) await this.checking;
  }

  private async checkAll(): Promise<void> {
    for (const stream of [...this.open]) {
      if (stream.sse.closed) continue;
      const reason = await this.refusal(stream);
      if (reason) stream.sse.end(reason);
    }
  }

  /** Why this stream may no longer be read, or undefined if it still may. */
  private async refusal(stream: OpenStream): Promise<string | undefined> {
    let now: Principal;
    try {
      now = await this.auth.authenticate(stream.header);
    } catch (err) {
      return (err as Error).message;
    }
    if (now.role !== stream.role) return `the role changed from ${stream.role} to ${now.role}; reconnect`;
    return undefined;
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
