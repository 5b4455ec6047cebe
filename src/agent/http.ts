/**
 * The agent's HTTP client: JSON over one keep-alive connection (two at most:
 * a long poll plus an urgent report), with only the headers that matter, and
 * byte counters so the agent's cost on the wire can be measured.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { durations } from '../core/durations.js';
import { clientTlsOptions, type ClientTls } from '../pki/client-tls.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export class JsonClient {
  private readonly agent: http.Agent;
  private readonly sockets = new Set<Socket>();
  private closedBytes = { sent: 0, received: 0 };
  private readonly base: URL;
  /**
   * The newest TLS session the parent handed out, for the next connection to resume. node's agent keeps one too,
   * but forgets it whenever a connection ends in an error, and a cut link always ends that way: after an outage a
   * whole fleet came back with full handshakes, four times the CPU of resumed ones on both ends.
   */
  private session: Buffer | undefined;
  /** A connection opened and verified before this client existed (enrollment's), for the first request only. */
  private connection: TLSSocket | undefined;

  /**
   * `tls`: the CA to trust (pinned at enrollment) and the client certificate to present, for an https:// base.
   * `connection`: an open, verified connection for the first request (it is not kept alive after it).
   */
  constructor(baseUrl: string, tls?: ClientTls, connection?: TLSSocket) {
    this.base = new URL(baseUrl);
    this.connection = connection;
    const options = { keepAlive: true, keepAliveMsecs: durations.agentTcpKeepAliveMs, maxSockets: 2 };
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ ...options, ...clientTlsOptions(tls) }) : new http.Agent(options);
  }

  /** Application bytes sent and received so far (HTTP headers and bodies). */
  get bytes(): { sent: number; received: number } {
    let sent = this.closedBytes.sent;
    let received = this.closedBytes.received;
    for (const s of this.sockets) {
      sent += s.bytesWritten;
      received += s.bytesRead;
    }
    return { sent, received };
  }

  /** `onSent`: told once the whole request is handed to the connection (what was cut after that may well have arrived). */
  post<T>(path: string, body: unknown, options: { token?: string; timeoutMs: number; onSent?: () => void }): Promise<T> {
    const payload = Buffer.from(JSON.stringify(body));
    const transport = this.base.protocol === 'https:' ? https : http;
    const connection = this.connection;
    this.connection = undefined;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(
        new URL(path, this.base),
        {
          method: 'POST',
          ...(connection ? { createConnection: () => connection } : { agent: this.agent, ...(this.session ? { session: this.session } : {}) }),
          headers: {
            'content-type': 'application/json',
            'content-length': payload.length,
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
          timeout: options.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // reported below with the status
            }
            if ((res.statusCode ?? 0) >= 400) {
              const message = (parsed as { message?: string } | undefined)?.message ?? text.slice(0, 200);
              reject(new HttpError(res.statusCode ?? 0, message));
            } else resolve(parsed as T);
          });
          res.on('error', reject);
        },
      );
      req.on('socket', (socket: Socket) => {
        if (this.sockets.has(socket)) return;
        this.sockets.add(socket);
        if (socket instanceof TLSSocket) this.keepSessions(socket);
        socket.once('close', () => {
          this.closedBytes.sent += socket.bytesWritten;
          this.closedBytes.received += socket.bytesRead;
          this.sockets.delete(socket);
        });
      });
      if (options.onSent) req.once('finish', options.onSent);
      req.on('timeout', () => req.destroy(new Error(`no answer from ${this.base.origin} within ${options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Remembers the sessions `socket` is given; a TLS failure in the handshake (perhaps over a stale session) forgets it, a cut link does not. */
  private keepSessions(socket: TLSSocket): void {
    let secure = false;
    socket.once('secureConnect', () => (secure = true));
    socket.on('session', (session: Buffer) => (this.session = session));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!secure && err.code?.startsWith('ERR_SSL_')) this.session = undefined;
    });
  }

  /** Closes the open connections (the client stays usable: the next request opens a new one). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  close(): void {
    this.connection?.destroy();
    this.agent.destroy();
  }
}

/**
 * Closes a client replaced by one with new TLS material once the long poll
 * it may hold is over; `retiring` holds it meanwhile, so stopping closes it.
 */
export function retireClient(client: JsonClient, afterMs: number, retiring: Set<JsonClient>): void {
  retiring.add(client);
  setTimeout(() => {
    client.close();
    retiring.delete(client);
  }, afterMs).unref();
}
