/**
 * The attacker of the flood bench, in its own process so its CPU is not the
 * measuring client's. It holds connections to the controller the way a
 * slow-client attack does, from several loopback source addresses (Linux
 * routes all of 127/8 to lo), and reopens each one a second after it is
 * closed, as a persistent attacker would:
 *
 * - slow-headers: TLS, a request line, then one more header line every 2 s,
 *   never the blank line that ends them;
 * - slow-body: a complete POST /api/v1/auth/login with Content-Length 1000,
 *   then one byte of body every 5 s.
 *
 * Messages (IPC): in {type:'start', port, ca, plan:[{kind, address, count}],
 * openPerSecond}; out {type:'stats', ...} every second; on {type:'stop'} it
 * closes everything, answers {type:'stopped', lifetimes} (ms from handshake
 * to the server's close, per kind) and exits.
 */
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';

const REOPEN_MS = 1000;
const sockets = new Set();
const lifetimes = { 'slow-headers': [], 'slow-body': [] };
let held = 0;
let refusedBeforeHandshake = 0;
let cutAfterHandshake = 0;
let opened = 0;
let stopping = false;

function attack(kind, address, port, context) {
  if (stopping) return;
  opened++;
  const socket = tls.connect({ host: '127.0.0.1', port, localAddress: address, secureContext: context, servername: 'localhost' });
  sockets.add(socket);
  let secureAt;
  let drip;
  socket.on('secureConnect', () => {
    secureAt = performance.now();
    held++;
    if (kind === 'slow-headers') {
      socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n');
      drip = setInterval(() => socket.writable && socket.write(`X-Slow-${Math.floor(Math.random() * 1e6)}: y\r\n`), 2000);
    } else {
      socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
      drip = setInterval(() => socket.writable && socket.write(' '), 5000);
    }
  });
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.on('close', () => {
    clearInterval(drip);
    sockets.delete(socket);
    if (secureAt === undefined) refusedBeforeHandshake++;
    else {
      held--;
      cutAfterHandshake++;
      lifetimes[kind].push(performance.now() - secureAt);
    }
    if (!stopping) setTimeout(() => attack(kind, address, port, context), REOPEN_MS).unref();
  });
}

process.on('message', (message) => {
  if (message.type === 'start') {
    // One context for every connection: building one per connect (parsing the CA each time) made this process the bottleneck.
    const context = tls.createSecureContext({ ca: message.ca });
    // Opened at a steady rate, as a flood ramps up, rather than all in one tick.
    const queue = message.plan.flatMap((p) => Array.from({ length: p.count }, () => [p.kind, p.address]));
    const perTick = Math.max(1, Math.round(message.openPerSecond / 20));
    const opener = setInterval(() => {
      for (const [kind, address] of queue.splice(0, perTick)) attack(kind, address, message.port, context);
      if (!queue.length) clearInterval(opener);
    }, 50);
    setInterval(() => {
      process.send({ type: 'stats', opened, held, refusedBeforeHandshake, cutAfterHandshake });
    }, 1000).unref();
  } else if (message.type === 'stop') {
    stopping = true;
    for (const socket of sockets) socket.destroy();
    process.send({ type: 'stopped', lifetimes }, () => process.exit(0));
  }
});
