/**
 * The system controller's side of endpoint sync (dcorch): the desired
 * content and hash per endpoint, a sync token over the hashes, and each
 * subcloud's sync status per endpoint from the hash it last reported.
 *
 * The desired content is cached; `refresh()` re-reads it after a change here
 * (users, platform settings) and from the audit loop (a change made by
 * another replica). When it changed, every subcloud's status is recomputed in
 * one statement per endpoint and every held long poll is woken, so managed
 * subclouds receive the new content within a second.
 */
import { sql, type Kysely } from 'kysely';
import { contentToken } from '../../core/canonical.js';
import type { Clock } from '../../core/clock.js';
import type { Schema } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { EndpointDesired } from '../../protocol/subcloud-wire.js';
import { pushed, SYNC_ENDPOINTS } from '../sync/endpoints.js';
import type { SyncStatus } from './subcloud.types.js';

export interface DesiredSync {
  token: string;
  endpoints: Record<string, { hash: string; content: unknown }>;
}

export class SyncService {
  private current: DesiredSync | undefined;
  private refreshing: Promise<boolean> | undefined;

  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock; waiters: Waiters }) {}

  async desired(): Promise<DesiredSync> {
    if (!this.current) await this.refresh();
    return this.current!;
  }

  /** Re-reads the desired content; returns true when it changed. Concurrent calls share one read. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.reread().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async reread(): Promise<boolean> {
    const endpoints: DesiredSync['endpoints'] = {};
    for (const ep of SYNC_ENDPOINTS) {
      const content = await ep.desired(this.deps.db);
      endpoints[ep.type] = { hash: ep.hash(content), content };
    }
    const token = contentToken(Object.fromEntries(Object.entries(endpoints).map(([t, e]) => [t, e.hash])));
    if (this.current?.token === token) return false;
    const first = this.current === undefined;
    this.current = { token, endpoints };
    await this.restatus();
    if (!first) this.deps.waiters.notifyPrefix('subcloud:');
    return true;
  }

  /** Recomputes every subcloud's per-endpoint status against the desired hashes. */
  private async restatus(): Promise<void> {
    const now = this.deps.clock.now();
    for (const [type, { hash }] of Object.entries(this.current!.endpoints)) {
      await this.deps.db
        .updateTable('subcloud_endpoints')
        .set({
          sync_status: sql<string>`case when applied_hash = ${hash} then 'in-sync' else 'out-of-sync' end`,
          out_of_sync_since: sql<number | null>`case when applied_hash = ${hash} then null else coalesce(out_of_sync_since, ${now}) end`,
        })
        .where('endpoint_type', '=', type)
        .execute();
    }
  }

  /** Status of an endpoint given the hash a subcloud applied. */
  status(desired: DesiredSync, type: string, appliedHash: string | null | undefined): SyncStatus {
    if (appliedHash === null || appliedHash === undefined) return 'unknown';
    return desired.endpoints[type]?.hash === appliedHash ? 'in-sync' : 'out-of-sync';
  }

  /**
   * The endpoint part of a subcloud's desired state: hashes always, content
   * only for a managed subcloud whose applied hash differs (unmanaged
   * subclouds are left alone) and only for pushed endpoints (software is
   * orchestrated, not pushed).
   */
  forSubcloud(desired: DesiredSync, managed: boolean, applied: Record<string, string>): Record<string, EndpointDesired> {
    const out: Record<string, EndpointDesired> = {};
    for (const [type, { hash, content }] of Object.entries(desired.endpoints)) {
      out[type] = managed && applied[type] !== hash && pushed(type) ? { hash, content } : { hash };
    }
    return out;
  }
}
