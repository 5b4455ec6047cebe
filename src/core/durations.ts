/**
 * Every interval and timeout in Starling, in one place, each with the reason
 * for its value. Import from here; never write a bare number of milliseconds
 * elsewhere.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const durations = {
  /** Login sessions: a working day, so an operator logs in once per shift. */
  sessionTokenTtlMs: 12 * HOUR,
  /** API tokens for scripts default to 90 days, so forgotten ones expire. */
  apiTokenDefaultTtlMs: 90 * DAY,
  /** Longest an API token may live: one year, then it must be rotated. */
  apiTokenMaxTtlMs: 365 * DAY,
  /**
   * How long a resolved user (role, token version) is cached per process.
   * Short enough that a demotion made by another replica bites within
   * seconds; changes made in this process invalidate at once.
   */
  authCacheTtlMs: 5 * SECOND,
  /** Window over which failed logins are counted. */
  loginFailureWindowMs: 5 * MINUTE,
  /** Failed logins for one user from one address within the window before that address may not try that user again. */
  loginFailuresPerUserAddress: 5,
  /** Failed logins per source address within the window (covers spraying). */
  loginFailuresPerAddress: 20,
  /**
   * Past that many failures for a user from all addresses together, each
   * attempt for the user waits this long, doubling per further failure, up
   * to the cap: slow for a guesser spread over many addresses, a few seconds
   * for the real user.
   */
  loginSlowdownBaseMs: 500,
  loginSlowdownCapMs: 8 * SECOND,
  /**
   * Event log pruning cadence: once a minute keeps the table within a
   * minute's worth of events of its cap, at one indexed delete per minute.
   */
  eventPruneIntervalMs: 1 * MINUTE,
  /**
   * SSE keep-alive comment: under the 30-60 s idle timeouts of common
   * proxies and load balancers, so a quiet stream is not cut.
   */
  streamHeartbeatMs: 15 * SECOND,
  /**
   * How often every open event stream's caller is authenticated again, for
   * what this process is not told of (a token expiring, a change made by
   * another replica). Changes made here end streams at once.
   */
  streamAuthRecheckMs: 5 * SECOND,
  /**
   * How often open dashboards' fleet maps are refreshed: one read of every
   * subcloud's state (~20 ms at 10,000) per period while anyone watches,
   * and only the changed tiles sent.
   */
  fleetMapRefreshMs: 1 * SECOND,
  /** Server shutdown: give in-flight requests this long before closing. */
  shutdownGraceMs: 10 * SECOND,
  /**
   * A client has this long to send its request headers, and `requestTimeoutMs`
   * (Node's own default, which Fastify turns off) to send its whole request:
   * without them a slow client held its connection for ever. Enforced by a
   * sweep every `connectionCheckMs`.
   */
  headersTimeoutMs: 10 * SECOND,
  requestTimeoutMs: 5 * MINUTE,
  connectionCheckMs: 1 * SECOND,
  /**
   * Host heartbeat pulse period (StarlingX heartbeat_period, 100-1000 ms):
   * its fastest setting, so a dead host is failed in about a second (10
   * missed pulses) and an AIO-Duplex site fails over before a radio
   * application notices. Sites with WAN-attached hosts raise it.
   */
  heartbeatPeriodMs: 100,
  /** An agent that cannot resolve its controller's name for the heartbeat tries again this soon (reports carry on meanwhile). */
  heartbeatResolveRetryMs: 5 * SECOND,
  /**
   * How often maintenance re-reads the hosts' rows (administrative state,
   * last report): pulses are judged in memory every period, so this only
   * bounds how late a lock or a new host is seen.
   */
  hostSnapshotRefreshMs: 1 * SECOND,
  /** CLI requests time out after this, so a dead link gives an error, not a hang. */
  cliRequestTimeoutMs: 30 * SECOND,
  /** CLI `--watch` reconnect delay after the stream drops. */
  cliWatchReconnectMs: 2 * SECOND,
  /**
   * One-time host enroll tokens: a day covers installing a host and starting
   * its agent; after that the token is useless if it leaked.
   */
  enrollTokenTtlMs: 24 * HOUR,
  /**
   * Host agent report interval: the heartbeat pulse. Each report is also a
   * long poll held up to this long, so one exchange per interval keeps an
   * idle agent under 2 KB/min on the wire while desired-state changes still
   * reach it within a second. Overridable (STARLING_REPORT_INTERVAL_MS) for
   * tests and LAN sites that want faster failure detection.
   */
  reportIntervalMs: 20 * SECOND,
  /** Missed pulses before a host is degraded (StarlingX heartbeat: 6). */
  heartbeatDegradePulses: 6,
  /** Missed pulses before a host is failed (StarlingX heartbeat: 10). */
  heartbeatFailPulses: 10,
  /**
   * Resource monitor sample period. With a debounce of 3 samples, a CPU or
   * memory alarm is raised about 30 s after the condition starts: quick
   * enough to matter, slow enough to ignore a compile or a backup spike.
   */
  resourceSampleMs: 10 * SECOND,
  /** Volatile resource figures ride along with a report at most this often. */
  agentStatsIntervalMs: 5 * MINUTE,
  /** Agent reconnect backoff: first retry within a second ... */
  agentBackoffBaseMs: 1 * SECOND,
  /** ... widening to at most five minutes, with full jitter. */
  agentBackoffCapMs: 5 * MINUTE,
  /**
   * TCP keep-alive probe delay on the agent's connection. Node's default of
   * 1 s sent a probe (and got an ACK) every second while a long poll was
   * held: ~6 KB/min of TCP/IP headers on an idle link. Reports already cross
   * the connection every interval, which keeps NAT state alive.
   */
  agentTcpKeepAliveMs: 2 * MINUTE,
  /**
   * Heartbeat-only subcloud reports arriving within this window share one
   * database statement (heartbeat-batch.ts): ~25 reports per statement at
   * 10,000 subclouds, at most this much added to a report's answer.
   */
  heartbeatBatchMs: 50,
  /** Subcloud uplink reconnect backoff: first retry within a second ... */
  subcloudBackoffBaseMs: 1 * SECOND,
  /**
   * ... widening to at most 45 s, with full jitter: 10,000 subclouds coming
   * back after an outage spread over ~45 s (~220 reports/s, which the system
   * controller absorbs), and all are back well inside the 120 s target. An
   * agent's five-minute cap would leave half of them waiting > 2.5 min.
   */
  subcloudBackoffCapMs: 45 * SECOND,
  /**
   * A subcloud with news (a finished step, a local alarm) retries that
   * report on its own backoff capped here, not the idle one: behind a
   * satellite link that drops for 15 s, the news lands within a few seconds
   * of the link's return rather than up to 45 s later.
   */
  subcloudNewsRetryCapMs: 5 * SECOND,
  /**
   * For the first 30 s of an outage a subcloud retries at most 4 s apart
   * (then the widening backoff above): behind a satellite link that drops
   * for 15 s, it is back within 4 s of the link's return, and a job the
   * system controller gave it meanwhile starts then. An outage long enough
   * to take subclouds offline (40 s and more) still ends in the 45 s spread.
   */
  subcloudEarlyRetryWindowMs: 30 * SECOND,
  subcloudEarlyRetryCapMs: 4 * SECOND,
  /**
   * A report long poll cut after it was sent and held this long is not a
   * sign of a dead link (it got through; a handover cut it): the backoff
   * starts over rather than widening. Longer than a connect and a TLS
   * handshake over a 600 ms satellite round trip take to fail.
   */
  subcloudHeldPollMs: 3 * SECOND,
  /**
   * During a backoff wait longer than this, a subcloud probes whether its
   * system controller's port answers (reachability.ts), every 0.5-1.5 of
   * this: with the spread, hold and one report, it is online within about
   * 5 s of its link's return however long the outage was.
   */
  subcloudProbeIntervalMs: 1 * SECOND,
  /** A probe that gets through ends the wait after a random part of this, so links that return together do not report at once. */
  subcloudProbeSpreadMs: 1 * SECOND,
  /** An accepted probe connection must stay open this long (a proxy that accepts and resets while its link is down does not count). */
  subcloudProbeHoldMs: 300,
  /** A probe that has not connected in this long failed (a cut link answers nothing). */
  subcloudProbeTimeoutMs: 3 * SECOND,
  /**
   * A controller's own CA (a standalone site's platform CA, a system
   * controller's fleet root): ten years, since replacing a root means a
   * fleet-wide ca-update strategy; it is rotated by choice, not by expiry.
   */
  rootCaLifetimeMs: 3650 * DAY,
  /** A subcloud's intermediate CA: three years, renewed by Starling at two thirds. */
  intermediateCaLifetimeMs: 3 * 365 * DAY,
  /**
   * Server and client (leaf) certificates: a year, renewed automatically at
   * two thirds (cert-manager's default), so a site may be offline for
   * months and still come back with a valid certificate.
   */
  leafCertificateLifetimeMs: 365 * DAY,
  /** Renew a certificate Starling issued once this share of its lifetime has passed (cert-manager's default). */
  certificateRenewFraction: 2 / 3,
  /** CAs raise 500.200 this long before they expire (StarlingX's alarm-before for CAs), leaves by the certificateAlarmBeforeDays setting. */
  caAlarmBeforeMs: 180 * DAY,
  /** The certificate expiry audit (500.200 / 500.210): hourly is ample for windows counted in days; renewals and installs run it at once. */
  certificateAuditIntervalMs: 1 * HOUR,
  /** Backup schedules are looked at this often (cron's resolution is a minute). */
  backupScheduleTickMs: 15 * SECOND,
  /**
   * How long the API listener lets a client resume its TLS session (a
   * ticket) instead of a full handshake: a day, so sites back from an
   * outage of hours reconnect cheaply. (Node's default, 5 minutes, left
   * half of a PostgreSQL fleet's reconnect storm doing full handshakes.)
   */
  tlsSessionLifetimeMs: 24 * HOUR,
  /** Certificates are issued as valid from this long ago, so a peer whose clock is a little behind accepts them. */
  certificateBackdateMs: 5 * MINUTE,
  /** Agent HTTP requests give up after the long poll plus this margin. */
  agentRequestMarginMs: 15 * SECOND,
  /**
   * A subcloud's first report after enrolling or after its link failed is a
   * short one (wait_ms 0: answered as soon as the system controller has
   * recorded it, not held as a long poll), and it waits this long for the
   * answer. 10,000 subclouds returning at once queue at their system
   * controller for tens of seconds: held for the long poll on top of that,
   * hundreds timed out at the poll's margin although they had been heard,
   * and then sat out a backoff of up to 45 s (bench:dc's storm tail).
   */
  subcloudReturnTimeoutMs: 60 * SECOND,
  /**
   * Subcloud availability audit window. A subcloud is offline after two
   * consecutive windows without a report (StarlingX: two audit failures), so
   * a single lost report never flips it. The audit runs every half window,
   * so detection lands 40-50 s after the last report (a once-per-window
   * audit measured p99 58 s from the cut at 10,000 subclouds: too close to
   * the 60 s target). Subclouds report (long poll) every reportIntervalMs,
   * comfortably inside one window.
   */
  subcloudAuditWindowMs: 20 * SECOND,
  /** Consecutive missed audit windows before a subcloud is offline (StarlingX: 2). */
  subcloudAuditFailures: 2,
  /** PostgreSQL connect timeout: fail start-up clearly rather than hang. */
  databaseConnectTimeoutMs: 10 * SECOND,
  /** How often a running strategy is advanced (one step or check per tick). */
  strategyTickMs: 1 * SECOND,
  /**
   * A prestage fetch cut by the link is resumed (from the byte reached) after
   * this pause: long enough not to hammer a link that is down, short next
   * to the hours a prestage window lasts.
   */
  prestageRetryMs: 10 * SECOND,
  /**
   * A fleet strategy step (one subcloud's whole site rollout) fails with a
   * timeout after this long: a site strategy's own steps time out well
   * within it (StarlingX allows hours for a subcloud's deploy).
   */
  fleetStepTimeoutMs: 6 * HOUR,
  /** A release's health check after a host switches to it; longer counts as failed (and rolls back). */
  healthCheckTimeoutMs: 60 * SECOND,
} as const;

export type Durations = typeof durations;
