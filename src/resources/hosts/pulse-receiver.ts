/**
 * The site controller's end of the host heartbeat (pulse-wire.ts): one UDP
 * socket, sessions handed out in report replies, and the time of each
 * host's last good pulse, kept in memory only. At 500 hosts and 10 pulses a
 * second the database is never touched per pulse; the maintenance loop
 * (heartbeat.monitor.ts) reads these times and writes only transitions.
 *
 * Sessions live in memory too: after a controller restart every agent is
 * handed a new session at its next report, and until its first pulse on it
 * the host is judged by its reports, which is the restart grace.
 */
import type { KeyObject } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logging.js';
import { newPulseCredentials, pulseKey, readPulse, verifyPulse, type PulseSession } from '../../protocol/pulse-wire.js';

interface Session {
  hostId: string;
  /** The agent process it was made for (its reports name it). */
  instance: string;
  session: string;
  key: string;
  keyObject: KeyObject;
  lastSeq: number;
}

/** What became of the datagrams received, for metrics and the benchmark. */
export interface PulseCounts {
  accepted: number;
  /** Not a pulse, an unknown session, a wrong MAC (forged), or a sequence already seen (replayed). */
  refused: number;
  bytes: number;
}

/** The socket's receive buffer: a controller stalled for a second must not lose the pulses meanwhile (500 hosts × 10/s). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

export class PulseReceiver {
  private readonly sessions = new Map<string, Session>();
  private readonly sessionOfHost = new Map<string, Session>();
  private readonly lastPulse = new Map<string, number>();
  private socket: Socket | undefined;
  private boundPort = 0;
  readonly counts: PulseCounts = { accepted: 0, refused: 0, bytes: 0 };
  /** Refusals are logged at most this often, so a flood of forged datagrams cannot flood the log. */
  private lastRefusalLogAt = 0;

  constructor(private readonly deps: { clock: Clock; periodMs: number; log: Logger }) {}

  /** Whether pulses are on (a period of 0 leaves hosts on the report heartbeat). */
  get enabled(): boolean {
    return this.deps.periodMs > 0;
  }

  get periodMs(): number {
    return this.deps.periodMs;
  }

  async listen(host: string, port: number): Promise<number> {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: RECEIVE_BUFFER_BYTES });
    socket.on('message', (datagram) => this.receive(datagram));
    socket.on('error', (err) => this.deps.log.error({ err: err.message }, 'heartbeat socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    this.boundPort = socket.address().port;
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /**
   * What an agent process (`instance`, random per agent start) that has
   * session `known` should pulse with: undefined when it has the host's
   * current session, else that session again (replies to one agent can
   * cross), or a new one for a new agent process, which ends the host's
   * previous session: one agent per host. Null tells an agent that pulses
   * to stop: this controller has the heartbeat off.
   */
  sessionFor(hostId: string, instance: string, known: string | undefined): { pulse: PulseSession | null; isNew: boolean } | undefined {
    if (!this.enabled || !this.socket) return known === undefined ? undefined : { pulse: null, isNew: false };
    let current = this.sessionOfHost.get(hostId);
    if (current?.instance === instance && current.session === known) return undefined;
    const isNew = current?.instance !== instance;
    if (!current || isNew) {
      if (current) this.sessions.delete(current.session);
      const { session, key } = newPulseCredentials();
      current = { hostId, instance, session, key, keyObject: pulseKey(key), lastSeq: -1 };
      this.sessions.set(session, current);
      this.sessionOfHost.set(hostId, current);
    }
    return { pulse: { session: current.session, key: current.key, port: this.boundPort, period_ms: this.deps.periodMs }, isNew };
  }

  /** When the host's last good pulse arrived (controller clock), if it has pulsed since this controller started. */
  lastPulseAt(hostId: string): number | undefined {
    return this.lastPulse.get(hostId);
  }

  /** A host deleted or enrolled again: its session ends. */
  forget(hostId: string): void {
    const session = this.sessionOfHost.get(hostId);
    if (session) this.sessions.delete(session.session);
    this.sessionOfHost.delete(hostId);
    this.lastPulse.delete(hostId);
  }

  /** Exposed for tests: handles one datagram as if it had arrived on the socket. */
  receive(datagram: Buffer): void {
    this.counts.bytes += datagram.length;
    const pulse = readPulse(datagram);
    const session = pulse && this.sessions.get(pulse.session);
    const refusal = !pulse
      ? 'not a pulse'
      : !session
        ? 'unknown session'
        : !verifyPulse(datagram, session.keyObject)
          ? 'wrong MAC (forged)'
          : pulse.seq <= session.lastSeq
            ? 'sequence already seen (replayed)'
            : undefined;
    if (refusal || !pulse || !session) {
      this.counts.refused++;
      this.noteRefusal(refusal ?? 'not a pulse');
      return;
    }
    session.lastSeq = pulse.seq;
    this.counts.accepted++;
    this.lastPulse.set(session.hostId, this.deps.clock.now());
  }

  private noteRefusal(why: string): void {
    const now = this.deps.clock.now();
    if (now - this.lastRefusalLogAt < 60_000) return;
    this.lastRefusalLogAt = now;
    this.deps.log.warn({ why, refused: this.counts.refused }, 'heartbeat datagram refused (logged once a minute)');
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
