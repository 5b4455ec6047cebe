/**
 * A real TCP proxy that plays a WanLink between a client and a server, so
 * unmodified HTTP clients and servers can be run over a bad link.
 *
 * Each chunk is held for the link's delay before it is forwarded, in order,
 * per connection and direction. The bandwidth is shared by all connections,
 * like the one access line of a site. TCP never loses data, so a loss shows
 * up as a retransmission: the chunk, and everything behind it, arrives one
 * round trip later. When the link goes down every open connection is reset,
 * and new ones are accepted and reset at once, so the port stays the same.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { WanLink } from './link-state.js';

export interface ImpairmentProxyOptions {
  /** The real server the proxy forwards to; `https` when it serves TLS (the proxy passes the bytes through, so the URL says https). */
  target: { host: string; port: number; https?: boolean };
  link: WanLink;
  /** Port to listen on, at 127.0.0.1. @default 0 (the system picks one; kept across restarts) */
  port?: number;
}

export interface ProxyStats {
  /** Bytes delivered from clients to the target. */
  bytesToTarget: number;
  /** Bytes delivered from the target to clients. */
  bytesToClient: number;
  /** Connections accepted and forwarded, since start. */
  connections: number;
  /** Connections open now. */
  open: number;
  /** Connections refused (accepted and reset) because the link was down. */
  refused: number;
  /** Open connections reset because the link went down. */
  dropped: number;
  /** Chunks held back an extra round trip by a simulated loss. */
  retransmits: number;
}

/**
 * Bytes a direction may hold in flight before the sender is paused: a TCP
 * window without scaling. It is what turns the bandwidth into a cap on the
 * sender instead of an ever-growing queue.
 */
const WINDOW_BYTES = 64 * 1024;

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class ImpairmentProxy {
  private server: net.Server | undefined;
  private listenPort: number;
  private readonly connections = new Set<Connection>();
  private readonly toTarget: Wire;
  private readonly toClient: Wire;
  private readonly counters: ProxyStats = { bytesToTarget: 0, bytesToClient: 0, connections: 0, open: 0, refused: 0, dropped: 0, retransmits: 0 };
  private unsubscribe: (() => void) | undefined;
  private scheduleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ImpairmentProxyOptions) {
    this.listenPort = options.port ?? 0;
    const retransmitted = () => this.counters.retransmits++;
    this.toTarget = new Wire(options.link, retransmitted);
    this.toClient = new Wire(options.link, retransmitted);
  }

  get link(): WanLink {
    return this.options.link;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.listenPort = (server.address() as net.AddressInfo).port;
    this.unsubscribe = this.link.onChange(() => this.check());
    this.watchSchedule();
  }

  /** Resets every connection and closes the port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.unsubscribe?.();
    clearTimeout(this.scheduleTimer);
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get port(): number {
    return this.listenPort;
  }

  get url(): string {
    if (!this.listenPort) throw new Error('ImpairmentProxy: not started');
    return `${this.options.target.https ? 'https' : 'http'}://127.0.0.1:${this.listenPort}`;
  }

  /** Takes the link down: open connections are reset, new ones refused. */
  cut(): void {
    this.link.cut();
  }

  /** Ends a cut(); the link's schedule applies again. */
  restore(): void {
    this.link.restore();
  }

  get stats(): ProxyStats {
    return { ...this.counters, open: this.connections.size };
  }

  private accept(client: net.Socket): void {
    client.on('error', () => client.destroy());
    if (!this.link.isUp()) {
      this.counters.refused++;
      client.resetAndDestroy();
      return;
    }
    this.counters.connections++;
    const upstream = net.connect({ host: this.options.target.host, port: this.options.target.port, allowHalfOpen: true });
    const connection = new Connection(client, upstream, {
      toTarget: this.toTarget,
      toClient: this.toClient,
      // The client's handshake with the far end takes a round trip before
      // its first byte can leave; locally it connected at once.
      firstByteAt: performance.now() + this.link.rttMs,
      delivered: (direction, bytes) => (this.counters[direction === 'toTarget' ? 'bytesToTarget' : 'bytesToClient'] += bytes),
      linkDown: () => this.check(),
      closed: () => this.connections.delete(connection),
    });
    this.connections.add(connection);
  }

  /** Drops everything if the link is down; cheap, so called on every change and chunk. */
  private check(): void {
    if (this.link.isUp()) return;
    for (const connection of this.connections) {
      connection.destroy();
      this.counters.dropped++;
    }
    this.connections.clear();
  }

  /** Wakes at each scheduled outage or flap to drop the connections. */
  private watchSchedule(): void {
    const at = this.link.nextChangeAt();
    if (at === undefined || !this.server) return;
    this.scheduleTimer = setTimeout(
      () => {
        this.check();
        this.watchSchedule();
      },
      Math.min(Math.max(0, at - this.link.now()), MAX_TIMER_MS),
    );
    this.scheduleTimer.unref();
  }
}

/** One direction of the link, shared by all its connections: chunks queue for the bandwidth. */
class Wire {
  private freeAt = 0;

  constructor(
    readonly link: WanLink,
    private readonly retransmitted: () => void,
  ) {}

  /** When a chunk handed over now (but sent no earlier than `notBefore`) reaches the far end. */
  arrival(bytes: number, notBefore: number): number {
    const start = Math.max(performance.now(), this.freeAt, notBefore);
    this.freeAt = start + this.link.serializationMs(bytes);
    let at = this.freeAt + this.link.propagationMs();
    if (this.link.lost()) {
      this.retransmitted();
      at += this.link.rttMs;
    }
    return at;
  }
}

interface ConnectionHooks {
  toTarget: Wire;
  toClient: Wire;
  firstByteAt: number;
  delivered: (direction: 'toTarget' | 'toClient', bytes: number) => void;
  linkDown: () => void;
  closed: () => void;
}

/** A client socket, its upstream socket, and a delay line each way. */
class Connection {
  private readonly lines: DelayLine[];

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: net.Socket,
    hooks: ConnectionHooks,
  ) {
    this.lines = [
      new DelayLine(client, upstream, hooks.toTarget, hooks.firstByteAt, (bytes) => hooks.delivered('toTarget', bytes), hooks.linkDown),
      new DelayLine(upstream, client, hooks.toClient, 0, (bytes) => hooks.delivered('toClient', bytes), hooks.linkDown),
    ];
    for (const socket of [client, upstream]) {
      // An error on either side (a reset, the target refusing) ends both.
      socket.on('error', () => this.destroy());
      socket.on('close', () => {
        if (client.destroyed && upstream.destroyed) {
          this.destroy();
          hooks.closed();
        }
      });
    }
  }

  /** Resets both sides, as a dead link would leave them, and discards what was in flight. */
  destroy(): void {
    for (const line of this.lines) line.stop();
    for (const socket of [this.client, this.upstream]) if (!socket.destroyed) socket.resetAndDestroy();
  }
}

/** One direction of one connection: chunks leave in order, each once its arrival time has come. */
class DelayLine {
  private readonly queue: { chunk: Buffer; at: number }[] = [];
  private queuedBytes = 0;
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private finished = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly wire: Wire,
    private readonly notBefore: number,
    private readonly delivered: (bytes: number) => void,
    private readonly linkDown: () => void,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    // A half-close is forwarded after the data sent before it.
    from.on('end', () => {
      this.ended = true;
      this.flush();
    });
    to.on('drain', () => this.flow());
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.finished = true;
  }

  private push(chunk: Buffer): void {
    if (this.finished) return;
    // The schedule may have turned the link down between timer checks (or
    // under a clock the proxy's timers do not follow).
    if (!this.wire.link.isUp()) return this.linkDown();
    this.lastAt = Math.max(this.wire.arrival(chunk.length, this.notBefore), this.lastAt);
    this.queue.push({ chunk, at: this.lastAt });
    this.queuedBytes += chunk.length;
    this.flow();
    this.schedule();
  }

  private readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.to.destroyed) return this.stop();
    const now = performance.now();
    while (!this.finished && this.queue.length && this.queue[0]!.at <= now) {
      const { chunk } = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      this.to.write(chunk);
      this.delivered(chunk.length);
    }
    if (this.finished) return;
    if (this.ended && !this.queue.length) {
      this.finished = true;
      this.to.end();
      return;
    }
    this.schedule();
    this.flow();
  };

  private schedule(): void {
    if (this.timer || !this.queue.length) return;
    this.timer = setTimeout(this.flush, Math.max(0, Math.ceil(this.queue[0]!.at - performance.now())));
  }

  /** Flow control: the sender waits while the window is full or the receiver is not draining. */
  private flow(): void {
    const full = this.queuedBytes >= WINDOW_BYTES || this.to.writableNeedDrain;
    if (full && !this.from.isPaused()) this.from.pause();
    else if (!full && this.from.isPaused()) this.from.resume();
  }
}
