import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
/**
 * Starts a controller: opens and migrates the database, creates the admin
 * on first start, assembles the app, starts background loops and listens.
 */
import { createMetrics } from '../api/metrics.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { ServerConfig } from '../core/server-config.js';
import { durations } from '../core/durations.js';
import type { Logger } from '../core/logging.js';
import { startLoop, type Loop } from '../core/loop.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { pruneEvents } from '../resources/events/event.store.js';
import { DbSite } from '../uplink/db-site.js';
import { SiteJobRunner } from '../uplink/site-job.js';
import { SubcloudUplink, type SiteCa } from '../uplink/subcloud-uplink.js';
import { databaseUplinkStore } from '../uplink/uplink-store.js';
import { assemble, type Assembled } from './assemble.js';
import { PLAIN_HTTP_WARNING } from '../api/health.js';
import { ConfigError, InputError } from '../core/errors.js';
import { serverSans } from '../resources/certificates/server-sans.js';
import { displayFingerprint } from '../pki/fingerprint.js';
import type { TrustHooks } from '../pki/trust-watch.js';

/**
 * How many connections the API listener's kernel queue holds before they are
 * accepted (the kernel caps it at net.core.somaxconn, 4096 on current Linux).
 * node's default, 511, overflowed when 10,000 subclouds returned at once: the
 * kernel dropped their handshakes, and retransmissions 1, 3, 7, 15 and 31 s
 * later left a few dozen reconnecting a minute after the rest (bench:dc).
 */
const LISTEN_BACKLOG = 4096;

export interface RunningController extends Assembled {
  url: string;
  database: Database;
  /** Set on the first start when no STARLING_ADMIN_PASSWORD was given: print it once. */
  generatedAdminPassword: string | undefined;
  adminCreated: boolean;
  /** On a subcloud: its link to the system controller. */
  uplink: SubcloudUplink | undefined;
  /** The CA a client should trust for this controller's API (PEM file), and its fingerprint; absent on plain HTTP. */
  trust: { caFile: string; fingerprint: string } | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  log: Logger;
  clock?: Clock;
  /** Subcloud reconnect backoff (tests shorten it). */
  uplinkBackoff?: { baseMs: number; capMs: number };
}

export async function startController(config: ServerConfig, options: StartOptions): Promise<RunningController> {
  const { log } = options;
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics();
  const database = openDatabase({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }),
    onQuery: metrics.observeQuery,
  });
  let loops: Loop[] = [];
  let uplink: SubcloudUplink | undefined;
  /** Written once the API certificate is in place (after the loops start). */
  let trustFile: { caFile: string } | undefined;
  let jobs: SiteJobRunner | undefined;
  try {
    const applied = await migrateToLatest(database);
    log.info({ database: database.description, dialect: database.dialect, applied }, 'database ready');
    const https = !config.insecureHttp;
    const parts = await assemble({ config, fullConfig: config, database, log, clock, metrics, softwareDir: join(config.dataDir, 'software'), backupDir: join(config.dataDir, 'backups'), site: { role: config.role, systemName: config.systemName }, https });
    const refreshTrustFile = () => {
      if (trustFile && writeTrustFile(trustFile.caFile, parts)) log.info({ caFile: trustFile.caFile }, 'the CAs clients trust this controller by changed: rewrote the CA file');
    };
    const admin = await parts.users.ensureAdmin(config.adminPassword);
    await parts.backups.recover();
    await parts.system.ensure({ name: config.systemName, mode: config.systemMode, role: config.role });
    await parts.groups.ensureDefault();
    if (admin.created) log.info('created the admin user');

    // A finished step frees a slot: the runner is woken rather than waiting for its next tick.
    const fleetLoop = startLoop({
      name: 'fleet-strategy',
      intervalMs: durations.strategyTickMs,
      log,
      tick: async () => {
        await parts.fleet.tick();
        // A root CA rotation changes what clients trust this controller by.
        refreshTrustFile();
      },
    });
    parts.fleet.onWake(() => void fleetLoop.runNow());
    loops = [
      startLoop({
        name: 'event-prune',
        intervalMs: durations.eventPruneIntervalMs,
        log,
        tick: async () => {
          const removed = await pruneEvents(database.db, config.eventRetention);
          if (removed) log.info({ removed, retention: config.eventRetention }, 'pruned event log');
        },
      }),
      // Strategies advance a step per tick; each tick reads and writes the row, so a restart resumes.
      startLoop({ name: 'sw-strategy', intervalMs: durations.strategyTickMs, log, tick: async () => void (await parts.strategy.tick()) }),
      fleetLoop,
      startLoop({ name: 'heartbeat', intervalMs: parts.heartbeat.tickMs, log, tick: () => parts.heartbeat.loopTick() }),
      startLoop({
        name: 'subcloud-audit',
        // Twice per window: offline at two missed windows, found within half a window more.
        intervalMs: config.subcloudAuditWindowMs / 2,
        log,
        tick: async () => {
          const offline = await parts.subcloudAudit.tick();
          if (offline.length) log.warn({ count: offline.length, first: offline.slice(0, 10) }, 'subclouds offline: two audit windows without a report');
          const sync = await parts.syncAudit.tick();
          if (sync.raised || sync.cleared) log.info(sync, 'subcloud sync audit: 280.002 raised/cleared');
        },
      }),
    ];
    await loops[0]!.runNow();

    if (config.role === 'subcloud') {
      jobs = new SiteJobRunner({ db: database.db, clock, log: log.child({ part: 'orchestration' }), releases: parts.releases, store: parts.blobs, strategy: parts.strategy });
      const runner = jobs;
      // The job carries on from its row: after a restart the first tick resumes it.
      loops.push(startLoop({ name: 'site-job', intervalMs: durations.strategyTickMs, log, tick: async () => {
        runner.kick();
        await runner.settled();
      } }));
      const site = new DbSite({
        jobs,
        db: database.db,
        dialect: database.dialect,
        clock,
        catalogue: parts.fault.catalogue,
        feed: parts.feed,
        usersChanged: (ids) => ids.forEach((id) => parts.auth.invalidateUser(id)),
      });
      uplink = new SubcloudUplink({
        site,
        store: databaseUplinkStore(database.db),
        ...(config.systemController ? { controller: config.systemController } : {}),
        ...(config.enrollToken ? { enrollToken: config.enrollToken } : {}),
        log: log.child({ part: 'uplink' }),
        ...(options.uplinkBackoff ? { backoff: options.uplinkBackoff } : {}),
        ...(https ? { ca: siteCa(parts) } : {}),
        certificateRenewed: (pem) => parts.pki.recordIssued('subcloud-client', uplink?.name ?? config.systemName, pem),
        trust: trustAlarm(parts),
      });
      // Enrolls first: a subcloud that cannot enroll says why and does not start.
      await uplink.start();
      log.info({ name: uplink.name, systemController: uplink.controller }, 'subcloud reporting to its system controller');
    }

    const trust = https ? await putServerCertificate(config, parts) : undefined;
    trustFile = trust;
    const held = uplink?.tlsCertificate;
    if (held && uplink?.name) await parts.pki.recordIssued('subcloud-client', uplink.name, held);
    const certificateAudit = startLoop({ name: 'certificate-audit', intervalMs: durations.certificateAuditIntervalMs, log, tick: async () => {
      // The API certificate Starling issued renews itself at two thirds of its life, on the listener at once.
      if (https && (await parts.pki.renewServerCertificateIfDue())) parts.useServerTls();
      refreshTrustFile();
      const changed = await parts.certificateMonitor.tick();
      if (changed.raised || changed.cleared) log.info(changed, 'certificate audit: 500.200/500.210 raised/cleared');
    } });
    loops.push(certificateAudit);
    await certificateAudit.runNow();
    // Backup schedules and pruning; one tick at start makes up a run missed while the controller was down.
    const backupSchedules = startLoop({ name: 'backup-schedules', intervalMs: durations.backupScheduleTickMs, log, tick: async () => void (await parts.backupSchedules.tick()) });
    loops.push(backupSchedules);
    void backupSchedules.runNow();
    if (!https) log.warn(PLAIN_HTTP_WARNING);
    const address = await parts.app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
    const url = address.replace('://0.0.0.0', '://localhost').replace('://[::]', '://localhost');
    log.info({ url, role: config.role }, 'starling controller listening');
    if (parts.pulses.enabled) {
      // UDP beside the API's TCP, on the same port unless told: one port for a firewall to open, twice.
      const port = await parts.pulses.listen(config.host, config.heartbeatPort ?? Number(new URL(address).port));
      log.info({ port, periodMs: parts.pulses.periodMs }, 'host heartbeat listening (UDP)');
    }

    let closing: Promise<void> | undefined;
    return {
      ...parts,
      url,
      database,
      generatedAdminPassword: admin.generatedPassword,
      adminCreated: admin.created,
      uplink,
      trust,
      close: () =>
        (closing ??= (async () => {
          jobs?.stop();
          await uplink?.stop();
          await Promise.all(loops.map((l) => l.stop()));
          await parts.pulses.close();
          await parts.app.close();
          await database.close();
        })()),
    };
  } catch (err) {
    jobs?.stop();
    await uplink?.stop();
    await Promise.all(loops.map((l) => l.stop()));
    await database.close();
    throw err;
  }
}

/**
 * Puts the API certificate on the listener (the operator's from --tls-cert,
 * or one issued by this controller's CA) and writes the CA clients should
 * trust to <data-dir>/tls/ca.pem, for `starling login --ca-file`.
 */
async function putServerCertificate(config: ServerConfig, parts: Assembled): Promise<{ caFile: string; fingerprint: string }> {
  let operator: { certPem: string; keyPem: string } | undefined;
  if (config.tlsCert && config.tlsKey) {
    const read = (path: string, key: 'tlsCert' | 'tlsKey') => {
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`, key);
      }
    };
    operator = { certPem: read(config.tlsCert, 'tlsCert'), keyPem: read(config.tlsKey, 'tlsKey') };
  }
  await parts.pki.ensureCa();
  try {
    await parts.pki.ensureServerCertificate(serverSans(config.host, config.tlsSans), operator);
  } catch (err) {
    if (err instanceof InputError) throw new ConfigError(err.message, err.field === 'key' ? 'tlsKey' : 'tlsCert');
    throw err;
  }
  parts.useServerTls();
  const anchor = parts.pki.servingAnchor;
  const dir = join(config.dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.pem');
  writeTrustFile(caFile, parts);
  return { caFile, fingerprint: displayFingerprint(anchor.fingerprint) };
}

/**
 * Writes the CAs clients trust this controller by to its ca.pem when they
 * changed: during a fleet root CA rotation both roots (a CLI logged in with
 * the file keeps working across it), then the new one; a subcloud's renewed
 * intermediate CA. Returns true when it wrote.
 */
function writeTrustFile(caFile: string, parts: Assembled): boolean {
  const pems = parts.pki.trustBundle.join('');
  let current = '';
  try {
    current = readFileSync(caFile, 'utf8');
  } catch {
    // not written yet
  }
  if (current === pems) return false;
  writeFileSync(caFile, pems, { mode: 0o644 });
  return true;
}

/** A real subcloud's intermediate CA, as its uplink asks for it at enrollment and renews it over its reports. */
function siteCa(parts: Assembled): SiteCa {
  return {
    needed: () => !parts.pki.ready,
    request: () => parts.pki.caRequest(),
    install: (chain) => parts.pki.installCa(chain),
    renewalRequest: (asked) => parts.pki.caRenewalRequest(asked),
    installRenewal: async (chain) => {
      await parts.pki.installRenewedCa(chain);
      parts.useServerTls();
    },
  };
}

/** 280.010 on a subcloud while its system controller's certificate is refused. */
function trustAlarm(parts: Assembled): Required<TrustHooks> {
  const entity = (controller: string) => `system_controller=${new URL(controller).host}`;
  return {
    refused: async (controller, code) => {
      await parts.fault.batch({
        raise: [{ alarm_id: '280.010', entity_instance_id: entity(controller), severity: 'major', reason_text: `System controller ${new URL(controller).host} presented a certificate that does not chain to the pinned CA (${code}); nothing applied` }],
      });
    },
    restored: async (controller) => {
      await parts.fault.batch({ clear: [{ alarm_id: '280.010', entity_instance_id: entity(controller) }] });
    },
  };
}
