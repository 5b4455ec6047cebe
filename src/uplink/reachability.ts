/**
 * Waiting out a reconnect backoff without sitting through the whole of it.
 *
 * After a long outage the uplink's backoff is up to 45 s, so a subcloud
 * whose link came back could wait that long to report, and be offline on
 * the system controller meanwhile. During such a wait it probes every few
 * seconds whether the system controller's port answers: a TCP connection
 * that is accepted and stays open (a proxy that accepts and resets does not
 * count), closed at once without a byte sent, so it costs the controller no
 * TLS handshake and no request. The first probe that gets through ends the
 * wait after a random part of a short spread, so sites whose links return
 * together do not report in the same instant.
 *
 * One probe-woken attempt per outage: if that report fails too, the rest of
 * the outage is plain backoff. So a system controller that accepts
 * connections but cannot yet serve them (10,000 sites returning at once)
 * sees at most one early wave, not one every few seconds.
 */
import net from 'node:net';

export interface ProbeOptions {
  /** How long an accepted connection must stay open to count. */
  holdMs: number;
  /** Gives up connecting after this long (a cut link answers nothing). */
  timeoutMs: number;
}

/** Whether `url`'s host and port accept a TCP connection that stays open `holdMs`. */
export function tcpReachable(url: string, options: ProbeOptions): Promise<boolean> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(port || (protocol === 'https:' ? 443 : 80)) });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), options.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      setTimeout(() => done(true), options.holdMs);
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

export interface ProbingSleepOptions {
  delayMs: number;
  /** Probes this often while the sleep lasts (no probing for sleeps shorter than this). */
  intervalMs: number;
  /** A successful probe ends the sleep after a random part of this. */
  spreadMs: number;
  /** Undefined: this outage's probe-woken attempt is spent; sleep it out. */
  probe: (() => Promise<boolean>) | undefined;
  random: () => number;
  /** Called with a function that ends the sleep at once (stop, or the link was seen back). */
  onWake: (wake: () => void) => void;
}

/** Sleeps `delayMs`, or less if a probe got through; says which. */
export function probingSleep(options: ProbingSleepOptions): Promise<'slept' | 'reachable' | 'woken'> {
  return new Promise((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    let over = false;
    const end = (how: 'slept' | 'reachable' | 'woken') => {
      if (over) return;
      over = true;
      timers.forEach(clearTimeout);
      resolve(how);
    };
    options.onWake(() => end('woken'));
    timers.push(setTimeout(() => end('slept'), options.delayMs));
    const probe = options.probe;
    if (!probe || options.delayMs <= options.intervalMs) return;
    const next = () => {
      // Jittered, so the sites of one outage do not probe in step.
      timers.push(
        setTimeout(
          () =>
            void probe().then(
              (ok) => {
                if (over) return;
                if (ok) timers.push(setTimeout(() => end('reachable'), Math.floor(options.random() * options.spreadMs)));
                else next();
              },
              () => !over && next(),
            ),
          Math.floor(options.intervalMs * (0.5 + options.random())),
        ),
      );
    };
    next();
  });
}
