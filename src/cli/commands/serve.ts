/** `starling serve`: run a controller until SIGINT/SIGTERM. */
import { Option, type Command } from 'commander';
import { LOG_LEVELS, SITE_ROLES, SYSTEM_MODES } from '../../core/config.js';
import type { ServerConfig } from '../../core/server-config.js';
import { durations } from '../../core/durations.js';
import { createLogger } from '../../core/logging.js';
import type { RunningController } from '../../server/start.js';
import type { CliContext } from '../context.js';

/** Flags shared by serve and demo, named after the config keys they set. */
export function addServerOptions(command: Command): Command {
  return command
    .option('--port <port>', 'HTTP port (default 6385, StarlingX sysinv port; env STARLING_PORT)')
    .option('--host <address>', 'address to listen on (default 0.0.0.0; env STARLING_HOST)')
    .option('--data-dir <dir>', 'folder for the SQLite database (env STARLING_DATA_DIR)')
    .option('--database-url <url>', 'use PostgreSQL instead of SQLite (env STARLING_DATABASE_URL)')
    .addOption(new Option('--log-level <level>', 'log level (env STARLING_LOG_LEVEL)').choices(LOG_LEVELS))
    .option('--event-retention <rows>', 'event log rows kept (default 100000; env STARLING_EVENT_RETENTION)')
    .option('--trust-proxy <proxies>', 'believe X-Forwarded-For only from these proxies: addresses or CIDRs, comma-separated, or loopback, or a hop count such as 1 (env STARLING_TRUST_PROXY)')
    .option('--metrics-token <token>', 'require "Authorization: Bearer <token>" on /metrics, at least 16 characters (prefer env STARLING_METRICS_TOKEN: a flag shows in ps)')
    .option('--max-connections-per-address <n>', 'most open connections from one client address, trusted proxies exempt; 0: no cap (default 256; env STARLING_MAX_CONNECTIONS_PER_ADDRESS)')
    .option('--request-timeout-ms <ms>', 'longest time to receive a whole request, body included (default 300000; raise it for release uploads over slow links; env STARLING_REQUEST_TIMEOUT_MS)')
    .option('--heartbeat-period-ms <ms>', 'host heartbeat: agents pulse over UDP this often, degraded after 6 missed, failed after 10; 100-10000, or 0 to use reports as the heartbeat (default 100; env STARLING_HEARTBEAT_PERIOD_MS)')
    .option('--heartbeat-port <port>', 'UDP port for host heartbeat pulses (default: the API port; env STARLING_HEARTBEAT_PORT)')
    .addOption(new Option('--system-mode <mode>', 'system mode on first start (env STARLING_SYSTEM_MODE)').choices(SYSTEM_MODES))
    .option('--system-name <name>', 'system name on first start (env STARLING_SYSTEM_NAME)')
    .addOption(new Option('--role <role>', 'site role (default standalone; env STARLING_ROLE)').choices(SITE_ROLES))
    .option('--system-controller <url>', 'subcloud: the system controller to report to (env STARLING_SYSTEM_CONTROLLER)')
    .option('--enroll-token <token>', 'subcloud: one-time token from "starling subcloud add" (first start; env STARLING_ENROLL_TOKEN)')
    .option('--tls-san <name>', 'extra DNS name or IP address for the API certificate, repeatable (env STARLING_TLS_SANS, comma-separated)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--tls-cert <file>', "serve the operator's own certificate (PEM: certificate, then chain) instead of one from this controller's CA (env STARLING_TLS_CERT)")
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM; env STARLING_TLS_KEY)')
    .option('--insecure-http', 'serve plain HTTP, only behind a TLS-terminating proxy: no mutual TLS for agents and subclouds (env STARLING_INSECURE_HTTP)')
    .option('--config <file>', 'settings file, JSON or YAML (env STARLING_CONFIG)');
}

export interface ServerFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  logLevel?: string;
  eventRetention?: string;
  trustProxy?: string;
  maxConnectionsPerAddress?: string;
  metricsToken?: string;
  requestTimeoutMs?: string;
  heartbeatPeriodMs?: string;
  heartbeatPort?: string;
  systemMode?: string;
  systemName?: string;
  role?: string;
  systemController?: string;
  enrollToken?: string;
  tlsSan?: string[];
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  config?: string;
}

export async function configFromFlags(ctx: CliContext, flags: ServerFlags, overrides: Partial<Record<keyof ServerConfig, unknown>> = {}): Promise<ServerConfig> {
  // Loaded here, not at the top: the schema compiler is for controllers, not for every CLI call or agent.
  const { loadServerConfig } = await import('../../core/server-config.js');
  return loadServerConfig({
    env: ctx.processEnv,
    cwd: ctx.cwd,
    flags: {
      port: flags.port,
      host: flags.host,
      dataDir: flags.dataDir,
      databaseUrl: flags.databaseUrl,
      logLevel: flags.logLevel,
      eventRetention: flags.eventRetention,
      trustProxy: flags.trustProxy,
      maxConnectionsPerAddress: flags.maxConnectionsPerAddress,
      metricsToken: flags.metricsToken,
      requestTimeoutMs: flags.requestTimeoutMs,
      heartbeatPeriodMs: flags.heartbeatPeriodMs,
      heartbeatPort: flags.heartbeatPort,
      systemMode: flags.systemMode,
      systemName: flags.systemName,
      role: flags.role,
      systemController: flags.systemController,
      enrollToken: flags.enrollToken,
      tlsSans: flags.tlsSan,
      tlsCert: flags.tlsCert,
      tlsKey: flags.tlsKey,
      insecureHttp: flags.insecureHttp,
      ...overrides,
      ...(flags.config ? { config: flags.config } : {}),
    },
  });
}

/** Closes the controller on SIGINT/SIGTERM, forcing exit after the grace period. */
/** On SIGINT or SIGTERM: `before` (the demo's simulated fleet), then the controller, closed within the grace period. */
export function closeOnSignals(controller: RunningController, ctx: CliContext, before?: () => Promise<unknown> | undefined): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      ctx.err(`\n${signal}: shutting down`);
      setTimeout(() => process.exit(1), durations.shutdownGraceMs).unref();
      void Promise.resolve(before?.())
        .catch(() => undefined)
        .then(() => controller.close())
        .then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export function registerServeCommand(program: Command, ctx: CliContext): void {
  addServerOptions(program.command('serve').description('Run a Starling controller (REST API, background loops)')).action(async (flags: ServerFlags) => {
    const config = await configFromFlags(ctx, flags);
    const log = createLogger({ level: config.logLevel });
    // Loaded here, not at the top: `starling agent` and the CLI commands must
    // not pay for the server's modules (~40 MB of RSS).
    const { startController } = await import('../../server/start.js');
    const uplinkBackoff = { baseMs: Math.min(durations.subcloudBackoffBaseMs, config.uplinkBackoffCapMs), capMs: config.uplinkBackoffCapMs };
    const controller = await startController(config, { log, uplinkBackoff });
    if (controller.generatedAdminPassword) {
      // Printed, never logged: it must not end up in log files.
      ctx.out(`Created user "admin" with password: ${controller.generatedAdminPassword}\n(shown once; set STARLING_ADMIN_PASSWORD on first start to choose it)`);
    }
    if (controller.trust) ctx.out(`TLS: clients trust the CA in ${controller.trust.caFile} (${controller.trust.fingerprint}); starling login --url ${controller.url} --ca-file ${controller.trust.caFile}`);
    else ctx.out('WARNING: plain HTTP (--insecure-http): nothing on this listener is encrypted; run it only behind a TLS-terminating proxy');
    ctx.out(`Starling ${config.role} controller at ${controller.url} (${controller.database.dialect}); API docs at ${controller.url}/api/docs`);
    if (controller.uplink) ctx.out(`Subcloud ${controller.uplink.name} reporting to ${controller.uplink.controller}`);
    await closeOnSignals(controller, ctx);
  });
}
