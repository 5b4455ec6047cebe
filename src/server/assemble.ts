/**
 * Builds a controller's services and HTTP app from its parts, without
 * listening. Tests call this with a fresh database and use app.inject();
 * `start.ts` adds listening, start-up chores and background loops.
 */
import { dirname, join } from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { frameworkErrors, installErrorHandler, MAX_PARAM_LENGTH } from '../api/error-handler.js';
import { installDashboard } from '../api/dashboard.js';
import { installHealth } from '../api/health.js';
import { connectionRefusedCounter, installConnectionMetrics, installPulseMetrics, installRequestMetrics, type Metrics } from '../api/metrics.js';
import { installOpenApi } from '../api/openapi.js';
import { auditRequest } from '../api/request-audit.js';
import { installSecurity, type DeclaredRoute } from '../api/security.js';
import { validatorCompiler } from '../api/validation.js';
import type { Clock } from '../core/clock.js';
import type { ServerConfig } from '../core/server-config.js';
import { durations } from '../core/durations.js';
import { randomSecret } from '../core/ids.js';
import type { Logger } from '../core/logging.js';
import type { Database } from '../db/database.js';
import { alarmRoutes } from '../resources/alarms/alarm.routes.js';
import { defaultCatalogue } from '../resources/alarms/catalogue-data.js';
import type { Catalogue } from '../resources/alarms/catalogue.js';
import { FaultService } from '../resources/alarms/fault.service.js';
import { auditRoutes } from '../resources/audit/audit.routes.js';
import { authRoutes } from '../resources/auth/auth.routes.js';
import { AuthService } from '../resources/auth/auth.service.js';
import { LoginLimiter } from '../resources/auth/login-limiter.js';
import { eventRoutes } from '../resources/events/event.routes.js';
import { createChangeFeed, type ChangeFeed } from '../resources/stream/change-feed.js';
import { streamRoutes } from '../resources/stream/stream.routes.js';
import { parseProxyTrust, trustedProxyMatcher } from '../core/proxy-trust.js';
import { guardConnections } from './connection-guard.js';
import { installSecurityHeaders } from '../api/security-headers.js';
import { EventStreams } from '../api/event-streams.js';
import { suppressionRoutes } from '../resources/suppression/suppression.routes.js';
import { userRoutes } from '../resources/users/user.routes.js';
import { UserService } from '../resources/users/user.service.js';
import { enrollRoutes } from '../resources/hosts/enroll.routes.js';
import { hostRoutes } from '../resources/hosts/host.routes.js';
import { HostService } from '../resources/hosts/host.service.js';
import { HeartbeatMonitor } from '../resources/hosts/heartbeat.monitor.js';
import { PulseReceiver } from '../resources/hosts/pulse-receiver.js';
import { HostActions } from '../resources/hosts/host-actions.js';
import { hostConfigRoutes } from '../resources/hosts/host-config.routes.js';
import { HostConfigService } from '../resources/hosts/host-config.service.js';
import { reportRoutes } from '../resources/hosts/report.routes.js';
import { ReportService } from '../resources/hosts/report.service.js';
import { Waiters } from '../protocol/long-poll.js';
import { GroupService } from '../resources/subclouds/group.service.js';
import { subcloudRoutes } from '../resources/subclouds/subcloud.routes.js';
import { SubcloudService } from '../resources/subclouds/subcloud.service.js';
import { dcRoutes } from '../resources/subclouds/dc.routes.js';
import { fleetRoutes } from '../resources/subclouds/fleet.routes.js';
import { fleetMapRoutes } from '../resources/subclouds/fleet-map.routes.js';
import { FleetMapWatcher } from '../resources/subclouds/fleet-map.watcher.js';
import { UplinkService } from '../resources/subclouds/uplink.service.js';
import { SyncAudit } from '../resources/subclouds/sync.audit.js';
import { SyncService } from '../resources/subclouds/sync.service.js';
import { platformRoutes } from '../resources/system/platform.routes.js';
import { AvailabilityAudit } from '../resources/subclouds/availability.audit.js';
import { systemRoutes } from '../resources/system/system.routes.js';
import { SystemService } from '../resources/system/system.service.js';
import { getOrCreateSetting } from './settings.js';
import { BlobStore } from '../resources/software/blob-store.js';
import { ReleaseService } from '../resources/software/release.service.js';
import { releaseRoutes } from '../resources/software/release.routes.js';
import { DeployService } from '../resources/software/deploy.service.js';
import { deployRoutes } from '../resources/software/deploy.routes.js';
import { SwStrategyService } from '../resources/strategies/sw-strategy.service.js';
import { strategyRoutes } from '../resources/strategies/strategy.routes.js';
import { FleetStrategyService } from '../resources/strategies/fleet-strategy.service.js';
import { CaUpdateRunner } from '../resources/strategies/ca-update.runner.js';
import { fleetStrategyRoutes } from '../resources/strategies/fleet-strategy.routes.js';
import { PRESTAGE_MAX_PARALLEL } from '../resources/strategies/fleet-strategy.types.js';
import { TransferGate } from '../api/transfer-gate.js';
import type { SiteRole } from '../core/config.js';
import type { Server as TlsServer } from 'node:tls';
import { PlatformPki } from '../resources/certificates/platform-pki.js';
import { ChildRenewal } from '../resources/certificates/child-renewal.js';
import { CertificateMonitor } from '../resources/certificates/certificate.monitor.js';
import { CertificateService } from '../resources/certificates/certificate.service.js';
import { certificateRoutes } from '../resources/certificates/certificate.routes.js';
import { backupRoutes } from '../resources/backups/backup.routes.js';
import { BackupService } from '../resources/backups/backup.service.js';
import { backupConfig } from '../resources/backups/backup-config.js';
import { backupScheduleRoutes } from '../resources/backups/backup-schedule.routes.js';
import { BackupScheduleService } from '../resources/backups/backup-schedule.service.js';
import { alarmWindows } from '../resources/certificates/certificate.views.js';

export interface AssembleDeps {
  config: Pick<ServerConfig, 'bodyLimitBytes' | 'reportIntervalMs'> &
    Partial<Pick<ServerConfig, 'trustProxy' | 'maxConnectionsPerAddress' | 'requestTimeoutMs' | 'metricsToken' | 'subcloudAuditWindowMs' | 'certificateAlarmBeforeDays' | 'heartbeatPeriodMs'>> & {
      /** @default durations.headersTimeoutMs (tests shorten it) */
      headersTimeoutMs?: number;
    };
  database: Database;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  catalogue?: Catalogue;
  /** Folder for release content (blob store). */
  softwareDir: string;
  /** Where platform backups go unless an operator names a folder. @default backups beside softwareDir */
  backupDir?: string;
  /** The whole server configuration, which backups keep (secrets sealed). @default the parts given in config */
  fullConfig?: Partial<ServerConfig>;
  /** This site's role and name: the kind of CA it keeps and its subject. @default standalone, starling */
  site?: { role: SiteRole; systemName: string };
  /**
   * Serve HTTPS and require agents and subclouds to present their client
   * certificates (mutual TLS). The listener starts without a certificate;
   * start() puts this controller's in place (`useServerTls`) before listening.
   */
  https?: boolean;
}

export interface Assembled {
  app: FastifyInstance;
  feed: ChangeFeed;
  fault: FaultService;
  users: UserService;
  auth: AuthService;
  /** Open event streams (shutdown and revoked callers end them). */
  streams: EventStreams;
  system: SystemService;
  hosts: HostService;
  reports: ReportService;
  groups: GroupService;
  subclouds: SubcloudService;
  /** Subcloud availability: call tick() every audit window. */
  subcloudAudit: AvailabilityAudit;
  /** Endpoint sync: call tick() every audit window (280.002). */
  syncAudit: SyncAudit;
  /** Desired sync content per endpoint: refresh() after changing it. */
  sync: SyncService;
  /** Maintenance: call tick() every report interval. */
  heartbeat: HeartbeatMonitor;
  /** The host heartbeat's UDP end; start.ts binds it beside the API. */
  pulses: PulseReceiver;
  /** Long-poll waiters per host id: notify after changing a host's spec. */
  waiters: Waiters;
  /** Release content by digest. */
  blobs: BlobStore;
  /** Content transfers to subclouds running at once (prestage's global cap). */
  subcloudTransfers: TransferGate;
  releases: ReleaseService;
  deploy: DeployService;
  /** The site's sw-deploy strategy: call tick() every second while one applies. */
  strategy: SwStrategyService;
  /** The fleet strategy (system controller): call tick() every second while one applies. */
  fleet: FleetStrategyService;
  /** Every /api/v1 route with the roles it declared. */
  routes: DeclaredRoute[];
  /** This controller's CA and certificates. */
  pki: PlatformPki;
  /** Platform backups: call recover() at start. */
  backups: BackupService;
  /** Backup schedules and pruning: start.ts ticks them. */
  backupSchedules: BackupScheduleService;
  /** Renews children's certificates over their reports. */
  renewal: ChildRenewal;
  certificates: CertificateService;
  /** Certificate expiry alarms (500.200, 500.210): call tick() every audit interval. */
  certificateMonitor: CertificateMonitor;
  /** Puts the PKI's current server certificate on the TLS listener (at start and after a renewal). */
  useServerTls(): void;
}

export async function assemble(deps: AssembleDeps): Promise<Assembled> {
  const { database, clock, log, metrics } = deps;
  const db = database.db;

  const feed = createChangeFeed();
  feed.subscribe((change) => {
    if (change.type === 'event') metrics.faultChanges.inc({ state: change.event.alarm_state });
  });
  const fault = new FaultService({ db, dialect: database.dialect, catalogue: deps.catalogue ?? defaultCatalogue, clock, feed });
  const limiter = new LoginLimiter(clock, {
    windowMs: durations.loginFailureWindowMs,
    perUserAddress: durations.loginFailuresPerUserAddress,
    perAddress: durations.loginFailuresPerAddress,
    slowdownBaseMs: durations.loginSlowdownBaseMs,
    slowdownCapMs: durations.loginSlowdownCapMs,
  });
  const signingKey = Buffer.from(await getOrCreateSetting(db, 'session_signing_key', () => randomSecret(32)), 'base64url');
  // Called only after both exist: user changes drop that user's cached auth.
  const waiters = new Waiters();
  const sync = new SyncService({ db, clock, waiters });
  const users: UserService = new UserService({
    db,
    dialect: database.dialect,
    clock,
    onChange: (id) => {
      auth.invalidateUser(id);
      // Users are the identity endpoint's content: managed subclouds follow.
      void sync.refresh().catch((err: unknown) => log.error({ err }, 'identity sync refresh failed'));
    },
  });
  const auth = new AuthService({
    db,
    clock,
    users,
    limiter,
    signingKey,
    agentCredentials: async (hash) => {
      const host = await db.selectFrom('hosts').select(['id', 'hostname']).where('credential_hash', '=', hash).executeTakeFirst();
      return host && { hostId: host.id, hostname: host.hostname };
    },
    subcloudCredentials: (hash) => db.selectFrom('subclouds').select(['id', 'name']).where('credential_hash', '=', hash).executeTakeFirst(),
  });
  const system = new SystemService({ db, clock });
  const mtls = deps.https === true;
  const siteRole = deps.site?.role ?? 'standalone';
  const pki = new PlatformPki({ db, clock, role: siteRole, systemName: deps.site?.systemName ?? 'starling', log, mtls });
  await pki.open();
  const windows = alarmWindows(deps.config.certificateAlarmBeforeDays ?? 30, durations.caAlarmBeforeMs);
  const blobs = new BlobStore(deps.softwareDir);
  await blobs.open();
  const releases = new ReleaseService({ db, clock, store: blobs, changed: () => sync.refresh() });
  const deploy = new DeployService({ db, clock, fault, releases, waiters, changed: () => sync.refresh() });
  const hostActions = new HostActions({ db, dialect: database.dialect, clock, fault, waiters, system });
  const strategy = new SwStrategyService({ db, clock, deploy, actions: hostActions });
  const groups = new GroupService({ db, clock });
  const subclouds = new SubcloudService({ db, clock, groups, waiters, pki, credentialsChanged: () => auth.invalidateSubclouds(), credentialIssued: (hash, subcloud) => auth.rememberSubcloud(hash, subcloud) });
  const hosts = new HostService({ db, clock, system, fault, pki });
  const renewal = new ChildRenewal({ pki, clock, log: log.child({ part: 'certificates' }) });
  const pulses = new PulseReceiver({ clock, periodMs: deps.config.heartbeatPeriodMs ?? durations.heartbeatPeriodMs, log: log.child({ part: 'heartbeat' }) });
  const heartbeat = new HeartbeatMonitor({
    db,
    pulses,
    dialect: database.dialect,
    clock,
    fault,
    waiters,
    policy: { intervalMs: deps.config.reportIntervalMs, degradePulses: durations.heartbeatDegradePulses, failPulses: durations.heartbeatFailPulses },
    startedAt: clock.now(),
    log,
  });
  const subcloudAudit = new AvailabilityAudit({
    db,
    clock,
    fault,
    windowMs: deps.config.subcloudAuditWindowMs ?? durations.subcloudAuditWindowMs,
    failures: durations.subcloudAuditFailures,
    startedAt: clock.now(),
    errors: subclouds.errorLog,
  });
  const subcloudTransfers = new TransferGate(PRESTAGE_MAX_PARALLEL);
  const caUpdate = mtls && deps.site?.role === 'systemcontroller' ? new CaUpdateRunner({ db, clock, pki, renewal, useServerTls: () => useServerTls() }) : undefined;
  const fleet = new FleetStrategyService({ db, dialect: database.dialect, clock, waiters, errors: subclouds.errorLog, ...(caUpdate ? { caUpdate } : {}) });
  const syncAudit = new SyncAudit({ db, clock, fault, sync, graceMs: durations.subcloudAuditWindowMs });
  const certificateMonitor = new CertificateMonitor({ db, clock, fault, windows });
  const reports = new ReportService({ db, dialect: database.dialect, clock, fault, waiters, reportIntervalMs: deps.config.reportIntervalMs, log, observe: metrics.observeReport, softwareReported: (hostId, status) => deploy.softwareReported(hostId, status), pulses });

  const proxyTrust = parseProxyTrust(deps.config.trustProxy);
  const requestTimeoutMs = deps.config.requestTimeoutMs ?? durations.requestTimeoutMs;
  const serverTimeouts = {
    headersTimeout: Math.min(deps.config.headersTimeoutMs ?? durations.headersTimeoutMs, requestTimeoutMs),
    connectionsCheckingInterval: durations.connectionCheckMs,
  };
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Per-request info lines would dominate the log at agent report rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: typeof proxyTrust === 'number' ? (_address: string, hop: number) => hop < proxyTrust : proxyTrust,
    // A slow client gets `headersTimeoutMs` for its headers and `requestTimeoutMs` for all of its request; an idle connection
    // is closed after the longest a long poll waits in silence (one report interval) and a margin, so held polls are not cut.
    requestTimeout: requestTimeoutMs,
    connectionTimeout: 2 * deps.config.reportIntervalMs + 30_000,
    http: serverTimeouts,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrors((request, status) => auditRequest(request, status, { db, clock, log })),
    // Every client is asked for a certificate, none is required by the handshake: browsers and the CLI have none. Agents and subclouds are checked per request (client-certificate.ts).
    ...(mtls ? { https: { requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' as const, sessionTimeout: durations.tlsSessionLifetimeMs / 1000, ...serverTimeouts } } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  installErrorHandler(app);
  const routes = installSecurity(app, { auth, db, clock, log, ...(mtls ? { clientCertificates: { issuerFingerprints: () => pki.clientIssuerFingerprints } } : {}) });
  installRequestMetrics(app, metrics, deps.config.metricsToken);
  installConnectionMetrics(app, metrics, mtls);
  installPulseMetrics(metrics, () => pulses.counts);
  guardConnections(app.server, {
    perAddress: deps.config.maxConnectionsPerAddress ?? 0,
    exempt: trustedProxyMatcher(proxyTrust),
    log,
    refused: connectionRefusedCounter(metrics),
  });
  await installSecurityHeaders(app);
  await installOpenApi(app);
  installHealth(app, database, { tls: mtls });
  await installDashboard(app);

  const streams = new EventStreams(auth);
  const fleetMap = new FleetMapWatcher(db, log);
  app.addHook('preClose', async () => {
    fleetMap.stop();
    waiters.notifyAll();
    streams.closeAll();
  });

  const backups = new BackupService({
    db,
    database,
    clock,
    fault,
    log,
    defaultDir: deps.backupDir ?? join(dirname(deps.softwareDir), 'backups'),
    source: async () => {
      const row = await system.get();
      return { softwareDir: deps.softwareDir, system: { name: row.name, role: row.role, mode: row.mode }, ...backupConfig(deps.fullConfig ?? deps.config) };
    },
  });
  const backupSchedules = new BackupScheduleService({ db, clock, log, backups });
  const certificates = new CertificateService({ db, clock, pki, monitor: certificateMonitor, windows, useServerTls: () => useServerTls() });
  await app.register(
    async (api) => {
      await api.register(authRoutes({ auth }));
      await api.register(userRoutes({ users }));
      await api.register(auditRoutes({ db }));
      await api.register(alarmRoutes({ db, fault }));
      await api.register(eventRoutes({ db, fault }));
      await api.register(suppressionRoutes({ fault }));
      await api.register(streamRoutes({ db, feed, streams }));
      await api.register(systemRoutes({ system }));
      await api.register(platformRoutes({ db, changed: () => sync.refresh() }));
      await api.register(releaseRoutes({ db, clock, releases, changed: () => sync.refresh(), subcloudTransfers }));
      await api.register(deployRoutes({ deploy }));
      await api.register(strategyRoutes({ strategy }));
      await api.register(fleetStrategyRoutes({ fleet }));
      await api.register(hostRoutes({ hosts, actions: hostActions }));
      await api.register(hostConfigRoutes({ configs: new HostConfigService({ db, dialect: database.dialect, clock, fault, waiters }) }));
      await api.register(enrollRoutes({ hosts }));
      await api.register(subcloudRoutes({ subclouds, groups, siteRole }));
      await api.register(
        dcRoutes({ db, subclouds, uplink: new UplinkService({ db, dialect: database.dialect, clock, fault, waiters, sync, errors: subclouds.errorLog, credentialsChanged: () => auth.invalidateSubclouds(), reportIntervalMs: deps.config.reportIntervalMs, jobReported: (trx, subcloud, status, now) => fleet.reported(trx, subcloud, status, now), jobFinished: () => fleet.stepFinished() }), renewal, maxWaitMs: deps.config.reportIntervalMs }),
      );
      await api.register(fleetRoutes({ db, clock, errors: subclouds.errorLog }));
      await api.register(fleetMapRoutes({ db, watcher: fleetMap, streams }));
      await api.register(reportRoutes({ reports, renewal, maxWaitMs: deps.config.reportIntervalMs }));
      await api.register(certificateRoutes({ certificates }));
      await api.register(backupRoutes({ backups }));
      await api.register(backupScheduleRoutes({ schedules: backupSchedules }));
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  function useServerTls(): void {
    if (!mtls) return;
    const tls = pki.serverTls();
    (app.server as unknown as TlsServer).setSecureContext({ key: tls.key, cert: tls.cert, ca: tls.ca });
  }
  return { streams, pki, renewal, certificates, backups, backupSchedules, certificateMonitor, useServerTls, app, feed, fault, users, auth, system, hosts, reports, groups, subclouds, subcloudAudit, syncAudit, sync, waiters, heartbeat, blobs, subcloudTransfers, releases, deploy, strategy, fleet, routes, pulses };
}
