/** Real controller processes in end-to-end tests: an admin session on each, API calls and CLI runs against it. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, runBin, type Served } from './processes.js';
import { testFetch } from './tls.js';

export interface Reply {
  status: number;
  body: any;
}

export async function call(url: string, token: string | undefined, method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await testFetch(`${url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export const login = (url: string, username: string, password: string) => call(url, undefined, 'POST', '/api/v1/auth/login', { username, password });

/** A controller process and an admin session on it; a session ended by an identity sync is renewed. */
export class Site {
  private token = '';
  constructor(
    readonly name: string,
    /** Replaced when the test restarts the process. */
    public served: Served,
    private readonly password: string,
  ) {}

  get url(): string {
    return this.served.url;
  }

  async session(): Promise<string> {
    if (!this.token) await this.login();
    return this.token;
  }

  async login(): Promise<void> {
    const r = await login(this.url, 'admin', this.password);
    assert.equal(r.status, 200, `admin login on ${this.name}: ${JSON.stringify(r.body)}`);
    this.token = r.body.token;
  }

  async api(method: string, path: string, body?: unknown): Promise<Reply> {
    let r = await call(this.url, await this.session(), method, path, body);
    if (r.status === 401) {
      // A managed subcloud takes the central admin (same password, new hash): its sessions end.
      await this.login();
      r = await call(this.url, this.token, method, path, body);
    }
    return r;
  }

  async ok(method: string, path: string, body?: unknown, expected = 200): Promise<any> {
    const r = await this.api(method, path, body);
    assert.equal(r.status, expected, `${method} ${path} on ${this.name}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Runs the CLI against this controller as its admin; returns stdout. */
  async cli(home: string, ...args: string[]): Promise<string> {
    const r = await runBin(args, { HOME: home, STARLING_URL: this.url, STARLING_TOKEN: await this.session() });
    assert.equal(r.code, 0, `starling ${args.join(' ')} on ${this.name}: ${r.err}${r.out}`);
    return r.out;
  }
}

export const enrollToken = (out: string): string => {
  const m = /--enroll-token (\S+)/.exec(out);
  assert.ok(m, `no enroll token in:\n${out}`);
  return m[1]!;
};

/** A long-running `starling` process (agent, sim) with its output kept. */
export function spawnBin(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  return { child, output: () => text };
}

