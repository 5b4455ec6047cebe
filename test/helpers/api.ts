import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
/**
 * An assembled controller on a test database, with an admin, an operator
 * and a reader logged in. Requests go through app.inject(): the real
 * routing, validation, auth and audit, without a socket.
 */
import { Writable } from 'node:stream';
import { createMetrics } from '../../src/api/metrics.js';
import { ManualClock } from '../../src/core/clock.js';
import type { SiteRole } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logging.js';
import { assemble, type Assembled } from '../../src/server/assemble.js';
import type { TestDatabase } from './backends.js';

export const PASSWORDS = { admin: 'admin-password-1', operator: 'operator-password-1', reader: 'reader-password-1' } as const;
export type TestRole = keyof typeof PASSWORDS;

export interface TestApi extends Assembled {
  clock: ManualClock;
  /** With `https`: the CA a client trusts for this API. */
  caPem: string | undefined;
  tokens: Record<TestRole, string>;
  /** Every log line the server wrote, for "no secrets in logs" checks. */
  logLines: string[];
  request(
    role: TestRole | null,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown>; text: string }>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  bodyLimitBytes?: number;
  systemMode?: 'simplex' | 'duplex' | 'standard';
  reportIntervalMs?: number;
  /** Serve HTTPS with mutual TLS for agents and subclouds, as a system controller with its fleet root CA (`.caPem` to trust it). */
  https?: boolean;
  /** The site's role: only a system controller adds and manages subclouds. @default systemcontroller with `https`, else standalone */
  siteRole?: SiteRole;
  /** Connection hardening (issue 14): proxies whose X-Forwarded-For is believed, the per-address cap, timeouts. */
  trustProxy?: string;
  maxConnectionsPerAddress?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** /metrics requires this bearer token. */
  metricsToken?: string;
  /** Host heartbeat pulse period (0: reports only). The UDP socket is bound only when a test calls `pulses.listen`. */
  heartbeatPeriodMs?: number;
  /** Where the controller's clock starts (epoch ms; default now). A clock started in the past lets a test move it on while the certificates it issues stay valid in real time, which TLS checks. */
  clockStart?: number;
}

export async function createTestApi(database: TestDatabase, options: TestApiOptions = {}): Promise<TestApi> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'info', destination: sink });
  const clock = new ManualClock(options.clockStart ?? Date.now());
  const softwareDir = await mkdtemp(join(tmpdir(), 'starling-software-'));
  const siteRole = options.siteRole ?? (options.https ? 'systemcontroller' : 'standalone');
  const parts = await assemble({
    softwareDir,
    config: {
      bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
      reportIntervalMs: options.reportIntervalMs ?? 1000,
      ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
      ...(options.maxConnectionsPerAddress !== undefined ? { maxConnectionsPerAddress: options.maxConnectionsPerAddress } : {}),
      ...(options.headersTimeoutMs !== undefined ? { headersTimeoutMs: options.headersTimeoutMs } : {}),
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.metricsToken !== undefined ? { metricsToken: options.metricsToken } : {}),
      ...(options.heartbeatPeriodMs !== undefined ? { heartbeatPeriodMs: options.heartbeatPeriodMs } : {}),
    },
    database,
    log,
    clock,
    metrics: createMetrics(),
    ...(options.https ? { https: true } : {}),
    ...(siteRole !== 'standalone' ? { site: { role: siteRole, systemName: 'test-system' } } : {}),
  });
  if (options.https) {
    await parts.pki.ensureServerCertificate(['127.0.0.1', 'localhost']);
    parts.useServerTls();
  }
  await parts.users.ensureAdmin(PASSWORDS.admin);
  await parts.groups.ensureDefault();
  await parts.system.ensure({ name: 'test-system', mode: options.systemMode ?? 'simplex', role: siteRole });
  await parts.users.create({ name: 'operator', role: 'operator', password: PASSWORDS.operator });
  await parts.users.create({ name: 'reader', role: 'reader', password: PASSWORDS.reader });

  const request: TestApi['request'] = async (role, method, url, body, headers = {}) => {
    const res = await parts.app.inject({
      method,
      url,
      headers: { ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}), ...headers },
      ...(body === undefined ? {} : typeof body === 'string' ? { payload: body } : { payload: body as object }),
    });
    let parsed: unknown;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      // not JSON; tests read .text
    }
    return { status: res.statusCode, body: parsed, headers: res.headers, text: res.body };
  };

  const tokens = {} as Record<TestRole, string>;
  for (const role of ['admin', 'operator', 'reader'] as const) {
    const res = await request(null, 'POST', '/api/v1/auth/login', { username: role, password: PASSWORDS[role] });
    if (res.status !== 200) throw new Error(`login as ${role} failed: ${res.status} ${res.text}`);
    tokens[role] = res.body.token;
  }
  return { ...parts, clock, caPem: options.https ? parts.pki.servingAnchor.pem : undefined, tokens, logLines, request, close: async () => {
      await parts.pulses.close();
      await parts.app.close();
      await rm(softwareDir, { recursive: true, force: true });
    },
  };
}
