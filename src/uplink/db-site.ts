/**
 * A real subcloud's site, read from its database: alarm changes come from
 * the event log (written in the same transaction as the alarm change, with
 * commit-ordered sequence numbers, so it is the durable outbound queue),
 * the snapshot from the alarm table, the host summary from the hosts table,
 * the applied sync hashes from what the database holds.
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { VERSION } from '../core/version.js';
import type { Dialect } from '../db/database.js';
import type { EventLogTable, Schema } from '../db/schema.js';
import type { Selectable } from 'kysely';
import type { QueuedOp } from '../protocol/op-queue.js';
import type { SiteJob, SubcloudOp, SubcloudStatus } from '../protocol/subcloud-wire.js';
import type { FetchSource } from './release-fetch.js';
import type { SiteJobRunner } from './site-job.js';
import { atLeast, type Catalogue, type Severity } from '../resources/alarms/catalogue.js';
import { eventBounds } from '../resources/events/event.store.js';
import type { ChangeFeed } from '../resources/stream/change-feed.js';
import { SYNC_ENDPOINTS } from '../resources/sync/endpoints.js';
import { deployedReleases } from '../resources/sync/software.js';
import type { AlarmSnapshot, SiteSource } from './site-source.js';

export interface DbSiteDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  clock: Clock;
  catalogue: Catalogue;
  feed: ChangeFeed;
  /** Called with the ids of users changed by an identity sync (their cached sessions are re-checked). */
  usersChanged: (ids: string[]) => void;
  /** Carries out orchestration jobs from the system controller. */
  jobs: SiteJobRunner;
}

export class DbSite implements SiteSource {
  constructor(private readonly deps: DbSiteDeps) {}

  private mgmtAffecting(alarmId: string, severity: string): boolean {
    const def = this.deps.catalogue.get(alarmId);
    return def ? atLeast(severity as Severity, def.mgmtAffectingSeverity) : false;
  }

  private toOp(e: Selectable<EventLogTable>): SubcloudOp {
    if (e.alarm_state === 'clear') return { kind: 'clear', alarm_id: e.alarm_id, entity_instance_id: e.entity_instance_id };
    return {
      kind: 'raise',
      alarm_id: e.alarm_id,
      entity_instance_id: e.entity_instance_id,
      severity: e.severity as Severity,
      reason_text: e.reason_text,
      mgmt_affecting: this.mgmtAffecting(e.alarm_id, e.severity),
      timestamp: e.timestamp,
    };
  }

  async snapshot(): Promise<AlarmSnapshot> {
    // One consistent view: the alarms as of exactly that sequence number.
    let tx = this.deps.db.transaction();
    if (this.deps.dialect === 'postgres') tx = tx.setIsolationLevel('repeatable read');
    return tx.execute(async (trx) => {
      const last = await trx.selectFrom('event_log').select(sql<number | null>`max(seq)`.as('last')).executeTakeFirst();
      const alarms = await trx.selectFrom('alarms').select(['uuid', 'alarm_id', 'entity_instance_id', 'severity', 'reason_text', 'mgmt_affecting', 'timestamp']).execute();
      return {
        up_to_seq: Number(last?.last ?? 0),
        alarms: alarms.map((a) => ({
          kind: 'raise' as const,
          uuid: a.uuid,
          alarm_id: a.alarm_id,
          entity_instance_id: a.entity_instance_id,
          severity: a.severity as Severity,
          reason_text: a.reason_text,
          mgmt_affecting: a.mgmt_affecting === 1,
          timestamp: a.timestamp,
        })),
      };
    });
  }

  async opsAfter(seq: number, max: number): Promise<{ ops: Array<QueuedOp<SubcloudOp>>; gap: boolean }> {
    const { first } = await eventBounds(this.deps.db);
    const rows = await this.deps.db
      .selectFrom('event_log')
      .selectAll()
      .where('seq', '>', seq)
      .where('alarm_state', 'in', ['set', 'clear'])
      .orderBy('seq', 'asc')
      .limit(max)
      .execute();
    return { ops: rows.map((e) => ({ seq: e.seq, op: this.toOp(e) })), gap: first !== null && first > seq + 1 };
  }

  async status(): Promise<SubcloudStatus> {
    const hosts = await this.deps.db.selectFrom('hosts').select(['availability', sql<number>`count(*)`.as('n')]).groupBy('availability').execute();
    const n = (a: string) => Number(hosts.find((h) => h.availability === a)?.n ?? 0);
    const endpoints: Record<string, string> = {};
    for (const ep of SYNC_ENDPOINTS) endpoints[ep.type] = ep.hash(await ep.held(this.deps.db));
    const orchestration = await this.deps.jobs.status();
    const soonest = await this.deps.db.selectFrom('certificates').select(['name', 'type', 'not_after']).orderBy('not_after').limit(1).executeTakeFirst();
    return {
      software_version: VERSION,
      hosts: { total: hosts.reduce((t, h) => t + Number(h.n), 0), available: n('available'), degraded: n('degraded'), failed: n('failed'), offline: n('offline') },
      endpoints,
      releases: (await deployedReleases(this.deps.db)).releases,
      ...(orchestration ? { orchestration } : {}),
      ...(soonest ? { certificates: { soonest: { name: soonest.name, type: soonest.type, not_after: Number(soonest.not_after) } } } : {}),
    };
  }

  orchestrate(job: SiteJob | undefined, source: FetchSource): Promise<void> {
    return this.deps.jobs.take(job, source);
  }

  async apply(endpoint: string, content: unknown): Promise<void> {
    const ep = SYNC_ENDPOINTS.find((e) => e.type === endpoint);
    if (!ep) throw new Error(`unknown sync endpoint ${endpoint}`);
    if (!ep.apply) throw new Error(`${endpoint} content is not synced by applying it (it is orchestrated); not applied`);
    if (!ep.valid(content)) throw new Error(`${endpoint} content from the system controller is not valid; not applied`);
    const changed = await ep.apply(this.deps.db, content, this.deps.clock.now());
    if (changed.length) this.deps.usersChanged(changed);
  }

  onChange(listener: () => void): () => void {
    const offFeed = this.deps.feed.subscribe((change) => {
      if (change.type === 'event' && (change.event.alarm_state === 'set' || change.event.alarm_state === 'clear')) listener();
    });
    const offJobs = this.deps.jobs.onChange(listener);
    return () => {
      offFeed();
      offJobs();
    };
  }
}
