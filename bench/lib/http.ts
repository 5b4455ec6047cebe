/**
 * A minimal keep-alive HTTP client on node:http. Not fetch: undici's
 * per-request overhead is several times node:http's, and every microsecond
 * the client spends is taken from the server, which shares this process.
 */
import http from 'node:http';
import https from 'node:https';

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export class Client {
  private readonly agent: http.Agent;
  private token: string | undefined;

  private readonly transport: typeof http | typeof https;

  /** `ca`: the controller's CA (PEM), for an https:// base. */
  constructor(
    readonly baseUrl: string,
    maxSockets = 4,
    ca?: string,
  ) {
    const tls = new URL(baseUrl).protocol === 'https:';
    this.transport = tls ? https : http;
    this.agent = tls ? new https.Agent({ keepAlive: true, maxSockets, ...(ca ? { ca } : {}) }) : new http.Agent({ keepAlive: true, maxSockets });
  }

  get authorization(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = this.transport.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            ...this.authorization,
            ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A request that must succeed; anything but `expect` is an error naming the route. */
  async json<T>(method: string, path: string, body?: unknown, expect = 200): Promise<T> {
    const res = await this.request(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (res.status !== expect) throw new Error(`${method} ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
    return JSON.parse(res.text) as T;
  }

  async login(username: string, password: string): Promise<string> {
    const { token } = await this.json<{ token: string }>('POST', '/api/v1/auth/login', { username, password });
    this.token = token;
    return token;
  }

  /**
   * SELECTs the server has run so far, from its own Prometheus metrics. The
   * difference across a phase tells cache misses (one SELECT each) from hits
   * (none), so "uncached" is checked, not assumed.
   */
  async selectCount(): Promise<number> {
    const res = await this.request('GET', '/metrics');
    const line = res.text
      .split('\n')
      .find((l) => l.startsWith('starling_db_query_duration_seconds_count{') && l.includes('kind="select"') && l.includes('outcome="ok"'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  }

  close(): void {
    this.agent.destroy();
  }
}
