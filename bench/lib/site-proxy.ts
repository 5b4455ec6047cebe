/**
 * A byte-counting TCP proxy between one agent and its controller (after
 * test/helpers/link.ts), and the kernel's segment counts for the agent's leg.
 *
 * The proxy sees application bytes (HTTP headers and bodies) in each
 * direction. It cannot see TCP/IP headers, bare ACKs or keep-alive probes;
 * `ss -ti` can, per socket (segs_in / segs_out), so both are taken.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface ByteCount {
  /** Bytes agent → controller. */
  up: number;
  /** Bytes controller → agent. */
  down: number;
  /** Requests seen going up (chunks that start a "POST "), for bytes per exchange. */
  requests: number;
  connections: number;
}

export class ByteProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly count: ByteCount = { up: 0, down: 0, requests: 0, connections: 0 };
  port = 0;

  constructor(private readonly target: URL) {}

  async up(): Promise<void> {
    this.server = net.createServer((client) => {
      this.count.connections++;
      const upstream = net.connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      // A 'data' listener beside pipe() sees every chunk pipe() forwards.
      client.on('data', (chunk: Buffer) => {
        this.count.up += chunk.length;
        if (chunk.subarray(0, 5).toString('latin1') === 'POST ') this.count.requests++;
      });
      upstream.on('data', (chunk: Buffer) => (this.count.down += chunk.length));
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  snapshot(): ByteCount {
    return { ...this.count };
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  get url(): string {
    return `${this.target.protocol}//127.0.0.1:${this.port}`;
  }
}

/** Packets on a connection: all of them, and those that carried payload. */
export interface Segments {
  all: number;
  data: number;
}

/**
 * TCP segments on the proxy's listening port, by connection (peer address),
 * from `ss -tin`: segs_in + segs_out counts every packet of the agent's leg,
 * bare ACKs and keep-alive probes included; data_segs_* those that carried
 * payload. Undefined if ss is missing.
 */
export function segments(port: number): Map<string, Segments> | undefined {
  let text: string;
  try {
    text = execFileSync('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
  const out = new Map<string, Segments>();
  let peer = '';
  for (const line of text.split('\n')) {
    // Connection lines: "0 0 127.0.0.1:PORT 127.0.0.1:PEER" (state is filtered, so not printed); info lines follow, indented.
    const conn = /^\S+\s+\S+\s+\S+\s+(\S+)/.exec(line);
    if (conn && !/^\s/.test(line)) peer = conn[1]!;
    const field = (name: string) => Number(new RegExp(`\\b${name}:(\\d+)`).exec(line)?.[1] ?? NaN);
    const all = field('segs_in') + field('segs_out');
    if (peer && !Number.isNaN(all)) out.set(peer, { all, data: (field('data_segs_in') || 0) + (field('data_segs_out') || 0) });
  }
  return out;
}

/**
 * Segments over a window, read every second so that a connection closing
 * mid-window (the server drops idle keep-alive sockets) still counts up to
 * its last reading; one opening mid-window counts from 0.
 */
export function watchSegments(port: number): { end: () => (Segments & { connections: number }) | undefined } {
  const first = segments(port);
  if (!first) return { end: () => undefined };
  const last = new Map(first);
  const read = () => {
    for (const [peer, n] of segments(port) ?? []) last.set(peer, n);
  };
  const timer = setInterval(read, 1000);
  return {
    end: () => {
      clearInterval(timer);
      read();
      const total = { all: 0, data: 0, connections: last.size };
      for (const [peer, n] of last) {
        total.all += n.all - (first.get(peer)?.all ?? 0);
        total.data += n.data - (first.get(peer)?.data ?? 0);
      }
      return total;
    },
  };
}

/** Bytes of IPv4 + TCP header per segment on this machine: 40, plus 12 when TCP timestamps are on (Linux default). */
export function tcpIpHeaderBytes(): number {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_timestamps', 'utf8').trim() === '0' ? 40 : 52;
  } catch {
    return 52;
  }
}
