/**
 * The agent's end of the host heartbeat (pulse-wire.ts): once a report reply
 * hands it a session, a 32-byte UDP datagram to the site controller every
 * period, whatever the report long poll is doing. Fire and forget: a lost
 * pulse is what the controller counts, and a pulse needs no answer.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { durations } from '../core/durations.js';
import type { Logger } from '../core/logging.js';
import { encodePulse, PULSE_BYTES, pulseKey, type PulseSession } from '../protocol/pulse-wire.js';

export class PulseSender {
  /** This agent process, named in reports: the controller keeps one session per process. */
  readonly instance = randomBytes(8).toString('hex');
  private current: PulseSession | undefined;
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private seq = 0;
  private refusedLogged = false;
  /** Pulses handed to the socket (a lost one is the controller's to count). */
  sent = 0;

  constructor(private readonly deps: { controller: string; log: Logger }) {}

  /** What reports carry: this process, and the session it pulses on. */
  fields(): { pulse: { instance: string; session?: string } } {
    return { pulse: { instance: this.instance, ...(this.current ? { session: this.current.session } : {}) } };
  }

  /** Starts pulsing on a session from a reply (or moves to a new one). */
  async take(session: PulseSession): Promise<void> {
    if (this.current?.session === session.session && this.current.port === session.port && this.current.period_ms === session.period_ms) return;
    this.stop();
    // Taken before it runs, so reports say the agent has it and are not answered with it again at once.
    this.current = session;
    const hostname = new URL(this.deps.controller).hostname.replace(/^\[(.*)\]$/, '$1');
    // Resolved once per session: a name looked up for every pulse would cost more than the pulse.
    let resolved: { address: string; family: number };
    try {
      resolved = await lookup(hostname);
    } catch (err) {
      // Until it resolves the host is judged by its reports; tried again shortly.
      this.deps.log.warn({ err: (err as Error).message, hostname }, 'host heartbeat not started: cannot resolve the controller; retrying');
      this.retry = setTimeout(() => {
        this.current = undefined;
        void this.take(session);
      }, durations.heartbeatResolveRetryMs);
      this.retry.unref();
      return;
    }
    const { address, family } = resolved;
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    socket.on('error', (err) => this.socketError(err));
    const id = Buffer.from(session.session, 'hex');
    const key = pulseKey(session.key);
    // One buffer for every pulse of the session: a datagram is handed to the kernel before the next is written.
    const datagram = Buffer.alloc(PULSE_BYTES);
    this.socket = socket;
    this.seq = 0;
    // Connected, so a send names no address (no lookup per pulse) and needs no callback: what an idle agent spends
    // is mostly these ten wake-ups a second (bench:site's idle part).
    const send = () => {
      socket.send(encodePulse(id, ++this.seq, key, datagram));
      this.sent++;
    };
    socket.connect(session.port, address, () => {
      if (this.socket !== socket) return; // stopped (or moved to a new session) while connecting
      send();
      this.timer = setInterval(send, session.period_ms);
      // The report loop keeps the agent alive; the heartbeat must not keep it from exiting.
      this.timer.unref();
    });
    socket.unref();
    this.deps.log.info({ period_ms: session.period_ms, port: session.port, address }, 'host heartbeat started');
  }

  /**
   * A connected UDP socket hears ICMP port-unreachable as ECONNREFUSED on its
   * next send: the controller is restarting or down. That is what the
   * controller counts as missed pulses, not the agent's trouble; logged once
   * per session, not ten times a second.
   */
  private socketError(err: NodeJS.ErrnoException): void {
    if (err.code === 'ECONNREFUSED') {
      if (!this.refusedLogged) this.deps.log.info({ err: err.message }, 'heartbeat refused by the controller (not listening); still pulsing');
      this.refusedLogged = true;
      return;
    }
    this.deps.log.warn({ err: err.message }, 'heartbeat socket error');
  }

  stop(): void {
    this.refusedLogged = false;
    if (this.timer) clearInterval(this.timer);
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.timer = undefined;
    this.socket?.close();
    this.socket = undefined;
    this.current = undefined;
  }
}
