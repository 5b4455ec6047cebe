/**
 * A cap on open connections per source address. Timeouts (assemble.ts) end
 * a slow client's connection after a while; the cap stops one address from
 * opening thousands of them in that while and starving everyone else of
 * file descriptors and memory. The connection over the cap is closed as it
 * arrives, before any TLS handshake or byte of HTTP is spent on it.
 *
 * Trusted proxies are not capped: everyone behind a load balancer arrives
 * from its address. Neither is anything when the cap is 0 (the simulated
 * fleets of the demo and the benchmarks all come from 127.0.0.1).
 */
import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';

export interface ConnectionGuardOptions {
  /** Most open connections from one address; 0: no cap. */
  perAddress: number;
  /** Addresses that are never capped (trusted proxies). */
  exempt: (address: string) => boolean;
  log: Logger;
  /** Called for each connection refused (a metric). */
  refused?: () => void;
}

/** One warning per address per this long, so a flood does not flood the log too. */
const WARN_EVERY_MS = 60_000;

export function guardConnections(server: Server, options: ConnectionGuardOptions): void {
  if (options.perAddress <= 0) return;
  const open = new Map<string, number>();
  const warned = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (options.exempt(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > options.perAddress) {
      options.refused?.();
      socket.destroy();
      const now = Date.now();
      if (warned.size >= 10_000) warned.clear();
      if (now - (warned.get(address) ?? 0) >= WARN_EVERY_MS) {
        warned.set(address, now);
        options.log.warn({ address, limit: options.perAddress }, 'refusing connections over the per-address limit (maxConnectionsPerAddress)');
      }
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
