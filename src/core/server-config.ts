/**
 * Configuration enters here, once. Sources, later ones winning:
 * defaults < config file (`--config` / STARLING_CONFIG, JSON or YAML) <
 * environment (STARLING_*) < command-line flags. The result is validated,
 * frozen and passed down; `process.env` is read nowhere else (the entrypoint
 * hands it in).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { durations } from './durations.js';
import { ConfigError } from './errors.js';
import { parseProxyTrust } from './proxy-trust.js';
import { defaultDataDir, LOG_LEVELS, SITE_ROLES, SYSTEM_MODES, type Env } from './config.js';

const ServerConfigSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 6385, description: 'HTTP port (StarlingX sysinv: 6385); 0 picks a free one' }),
    host: Type.String({ minLength: 1, maxLength: 255, default: '0.0.0.0', description: 'Address to listen on' }),
    dataDir: Type.String({ minLength: 1, maxLength: 4096, description: 'Folder for the SQLite database and local state' }),
    databaseUrl: Type.Optional(
      Type.String({ pattern: '^postgres(ql)?://', maxLength: 4096, description: 'PostgreSQL URL; SQLite in the data folder when absent' }),
    ),
    logLevel: Type.Union(LOG_LEVELS.map((l) => Type.Literal(l)), { default: 'info' }),
    adminPassword: Type.Optional(Type.String({ minLength: 8, maxLength: 256, description: 'Initial admin password (first start only)' })),
    eventRetention: Type.Integer({ minimum: 100, maximum: 100_000_000, default: 100_000, description: 'Event log rows kept' }),
    bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 1024 * 1024, description: 'Largest request body' }),
    role: Type.Union(SITE_ROLES.map((r) => Type.Literal(r)), { default: 'standalone' }),
    systemName: Type.String({ minLength: 1, maxLength: 64, default: 'starling', description: 'System name (first start only; then system modify)' }),
    systemMode: Type.Union(SYSTEM_MODES.map((m) => Type.Literal(m)), { default: 'simplex', description: 'System mode (first start only)' }),
    trustProxy: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'Believe X-Forwarded-For from these proxies only: addresses or CIDRs, comma-separated (or loopback), or a number of proxy hops',
      }),
    ),
    metricsToken: Type.Optional(
      Type.String({ minLength: 16, maxLength: 256, pattern: '^\\S+$', description: '/metrics requires "Authorization: Bearer <this>" (open to any scraper without it)' }),
    ),
    maxConnectionsPerAddress: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 256,
      description: 'Most open connections from one client address (trusted proxies are exempt); 0: no cap',
    }),
    requestTimeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 3_600_000,
      default: durations.requestTimeoutMs,
      description: 'Longest time to receive a whole request, body included (raise it for release uploads over slow links)',
    }),
    systemController: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2048, description: 'Subcloud: the system controller to report to' })),
    enrollToken: Type.Optional(Type.String({ minLength: 8, maxLength: 128, description: 'Subcloud: one-time token from `starling subcloud add` (first start)' })),
    reportIntervalMs: Type.Integer({ minimum: 100, maximum: 600_000, default: durations.reportIntervalMs, description: 'Host agent report interval (the long poll; the heartbeat of hosts that do not pulse)' }),
    heartbeatPeriodMs: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      default: durations.heartbeatPeriodMs,
      description: 'Host heartbeat: agents pulse over UDP this often; degraded after 6 missed, failed after 10. Raise it for WAN-attached hosts; 0: reports are the heartbeat',
    }),
    heartbeatPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'UDP port for host heartbeat pulses (default: the API port)' })),
    subcloudAuditWindowMs: Type.Integer({
      minimum: 100,
      maximum: 600_000,
      default: durations.subcloudAuditWindowMs,
      description: 'System controller: subcloud availability audit window (offline after two windows without a report)',
    }),
    insecureHttp: Type.Boolean({ default: false, description: 'Serve plain HTTP (only behind a TLS-terminating proxy): no TLS, no mutual TLS for agents and subclouds' }),
    tlsSans: Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:*-]+$' }), {
      default: [],
      maxItems: 64,
      description: 'Extra DNS names or IP addresses for the API certificate (the host name, loopback and listen addresses are always in it)',
    }),
    tlsCert: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "An operator's own API server certificate (PEM file: the certificate, then its chain); with tlsKey" })),
    tlsKey: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'The private key of tlsCert (PEM file)' })),
    certificateAlarmBeforeDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30, description: 'Raise 500.200 this many days before a certificate expires (CAs: 180 days)' }),
    uplinkBackoffCapMs: Type.Integer({ minimum: 100, maximum: 600_000, default: durations.subcloudBackoffCapMs, description: 'Subcloud: longest reconnect backoff on the link to its system controller' }),
  },
  { additionalProperties: false },
);

export type ServerConfig = Readonly<Static<typeof ServerConfigSchema>>;
type ConfigKey = keyof Static<typeof ServerConfigSchema>;

/** The environment variable for each key. */
export const CONFIG_ENV: Record<ConfigKey, string> = {
  port: 'STARLING_PORT',
  host: 'STARLING_HOST',
  dataDir: 'STARLING_DATA_DIR',
  databaseUrl: 'STARLING_DATABASE_URL',
  logLevel: 'STARLING_LOG_LEVEL',
  adminPassword: 'STARLING_ADMIN_PASSWORD',
  eventRetention: 'STARLING_EVENT_RETENTION',
  bodyLimitBytes: 'STARLING_BODY_LIMIT_BYTES',
  role: 'STARLING_ROLE',
  systemName: 'STARLING_SYSTEM_NAME',
  systemMode: 'STARLING_SYSTEM_MODE',
  trustProxy: 'STARLING_TRUST_PROXY',
  maxConnectionsPerAddress: 'STARLING_MAX_CONNECTIONS_PER_ADDRESS',
  metricsToken: 'STARLING_METRICS_TOKEN',
  requestTimeoutMs: 'STARLING_REQUEST_TIMEOUT_MS',
  reportIntervalMs: 'STARLING_REPORT_INTERVAL_MS',
  heartbeatPeriodMs: 'STARLING_HEARTBEAT_PERIOD_MS',
  heartbeatPort: 'STARLING_HEARTBEAT_PORT',
  subcloudAuditWindowMs: 'STARLING_SUBCLOUD_AUDIT_WINDOW_MS',
  uplinkBackoffCapMs: 'STARLING_UPLINK_BACKOFF_CAP_MS',
  systemController: 'STARLING_SYSTEM_CONTROLLER',
  enrollToken: 'STARLING_ENROLL_TOKEN',
  insecureHttp: 'STARLING_INSECURE_HTTP',
  certificateAlarmBeforeDays: 'STARLING_CERTIFICATE_ALARM_BEFORE_DAYS',
  tlsSans: 'STARLING_TLS_SANS',
  tlsCert: 'STARLING_TLS_CERT',
  tlsKey: 'STARLING_TLS_KEY',
};

/** Settings that are lists: comma-separated in the environment. */
const LIST_KEYS = new Set<string>(['tlsSans']);


export interface ConfigSources {
  /** Flags already parsed by the CLI, by config key; undefined means "not given". */
  flags?: Partial<Record<ConfigKey, unknown>> & { config?: string };
  env: Env;
  cwd?: string;
}

/** StarlingX's fastest heartbeat_period. */
const MIN_HEARTBEAT_PERIOD_MS = 100;

const ajv = new Ajv({ coerceTypes: true, useDefaults: true, removeAdditional: false, allErrors: false });
const validateServerConfig = ajv.compile(ServerConfigSchema);


function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`, 'config');
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`, 'config');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`${path} must hold a mapping of settings`, 'config');
  }
  return parsed as Record<string, unknown>;
}

export function loadServerConfig(sources: ConfigSources): ServerConfig {
  const { env, flags = {} } = sources;
  const cwd = sources.cwd ?? '.';
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};

  const configPath = flags.config ?? env.STARLING_CONFIG;
  if (configPath) {
    for (const [key, value] of Object.entries(readConfigFile(resolve(cwd, configPath)))) {
      merged[key] = value;
      origin[key] = `in ${configPath}`;
    }
  }
  for (const [key, name] of Object.entries(CONFIG_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      merged[key] = LIST_KEYS.has(key) ? value.split(',').map((v) => v.trim()).filter(Boolean) : value;
      origin[key] = `from ${name}`;
    }
  }
  for (const [key, value] of Object.entries(flags)) {
    if (key === 'config' || value === undefined) continue;
    merged[key] = value;
    origin[key] = 'from the command line';
  }
  merged.dataDir ??= defaultDataDir(env);

  if (!validateServerConfig(merged)) {
    const error = validateServerConfig.errors?.[0];
    const extra = error?.params && 'additionalProperty' in error.params ? String(error.params.additionalProperty) : undefined;
    const key = extra ?? error?.instancePath.replace(/^\//, '') ?? 'config';
    const reason = extra ? 'is not a known setting' : (error?.message ?? 'is invalid');
    throw new ConfigError(`${reason}${origin[key] ? ` (${origin[key]})` : ''}`, key);
  }
  const config = merged as Static<typeof ServerConfigSchema>;
  for (const key of ['systemController', 'enrollToken'] as const) {
    if (config[key] !== undefined && config.role !== 'subcloud') {
      throw new ConfigError(`is only for role subcloud (role is ${config.role})${origin[key] ? ` (${origin[key]})` : ''}`, key);
    }
  }
  if (config.heartbeatPeriodMs > 0 && config.heartbeatPeriodMs < MIN_HEARTBEAT_PERIOD_MS) {
    throw new ConfigError(`must be 0 (reports are the heartbeat) or from ${MIN_HEARTBEAT_PERIOD_MS} to 10000 ms, not ${config.heartbeatPeriodMs}${origin.heartbeatPeriodMs ? ` (${origin.heartbeatPeriodMs})` : ''}`, 'heartbeatPeriodMs');
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    const missing = config.tlsCert === undefined ? 'tlsCert' : 'tlsKey';
    throw new ConfigError(`is required with ${missing === 'tlsCert' ? 'tlsKey' : 'tlsCert'} (a certificate and its private key go together)`, missing);
  }
  try {
    parseProxyTrust(config.trustProxy);
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}${origin.trustProxy ? ` (${origin.trustProxy})` : ''}`, 'trustProxy');
  }
  if (config.insecureHttp && config.tlsCert !== undefined) throw new ConfigError('cannot be used with insecureHttp (plain HTTP has no certificate)', 'tlsCert');
  config.dataDir = resolve(cwd, config.dataDir);
  if (config.tlsCert) config.tlsCert = resolve(cwd, config.tlsCert);
  if (config.tlsKey) config.tlsKey = resolve(cwd, config.tlsKey);
  return Object.freeze(config);
}



