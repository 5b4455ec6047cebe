/**
 * Errors with causes. Every failure on a subcloud is recorded with what
 * failed, the evidence and a proposed repair, under a short cause code
 * (`enroll_token_expired`, `sync_failed:identity`, `offline`,
 * `rehome_failed` ...). A subcloud has at most one active error per cause:
 * recording it again counts the recurrence and keeps the newest evidence.
 * Clearing moves it to a short history.
 *
 * The subcloud row's StarlingX fields follow: `error_description` is the
 * latest active error's what and evidence ("No errors present" when none),
 * `error_cause` its cause.
 */
import type { Kysely } from 'kysely';
import type { Schema, SubcloudErrorRow } from '../../db/schema.js';
import { NO_ERRORS } from './subcloud.types.js';

/** In `repair`, stands for the subcloud's name: filled in per subcloud, left as NAME in the fleet view. */
export const NAME_PLACEHOLDER = '{name}';
/** StarlingX's limit on error_description, used for each text field too. */
const TEXT_MAX = 2048;
/** Cleared errors kept per subcloud; older ones are dropped when another clears. */
export const ERROR_HISTORY_KEEP = 50;
/** Subclouds named per cause in the fleet view (a bounded rollup, newest first). */
export const FLEET_EXAMPLES = 5;
const CAUSE_RE = /^[a-z][a-z0-9_]{0,47}(:[a-z0-9_-]{1,32})?$/;

export interface SubcloudErrorInput {
  /** Short code, optionally with a detail after a colon: `sync_failed:identity`. */
  cause: string;
  /** What failed, in a sentence. */
  what: string;
  /** What shows it: times, values, a log tail. */
  evidence: string;
  /** The proposed repair action; may use {name} for the subcloud's name. */
  repair: string;
}

export interface SubcloudErrorView {
  cause: string;
  what: string;
  evidence: string;
  repair: string;
  first_at: string;
  last_at: string;
  count: number;
  /** null while active. */
  cleared_at: string | null;
}

export interface FleetErrorGroup {
  cause: string;
  /** Subclouds with this cause active. */
  subclouds: number;
  /** Up to FLEET_EXAMPLES of them, most recently failing first. */
  examples: string[];
  /** The most recent failure's description and repair. */
  what: string;
  repair: string;
  last_at: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const fill = (repair: string, name: string) => repair.replaceAll(NAME_PLACEHOLDER, name);
// Evidence is often a log tail, whose end matters most.
const tail = (text: string) => (text.length > TEXT_MAX ? `…${text.slice(-(TEXT_MAX - 1))}` : text);
const head = (text: string) => (text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text);

/** The subcloud row's error_description for an error. */
export const describeError = (e: { what: string; evidence: string }): string => head(`${e.what}: ${e.evidence}`);

/** Runs `fn` in the caller's transaction, or in a new one. */
function inTransaction<T>(db: Kysely<Schema>, fn: (trx: Kysely<Schema>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

export class SubcloudErrors {
  constructor(private readonly deps: { db: Kysely<Schema> }) {}

  /**
   * Records a failure on a subcloud, in `db` (the database or the caller's
   * open transaction). The same active cause again bumps count and last_at
   * and replaces what, evidence and repair.
   */
  async record(db: Kysely<Schema>, subcloudId: number, input: SubcloudErrorInput, now: number): Promise<void> {
    if (!CAUSE_RE.test(input.cause)) throw new Error(`subcloud error cause ${JSON.stringify(input.cause.slice(0, 90))} is not a short code (like sync_failed:identity)`);
    const fields = { what: head(input.what), evidence: tail(input.evidence), repair: head(input.repair) };
    await inTransaction(db, async (trx) => {
      await trx
        .insertInto('subcloud_errors')
        .values({ subcloud_id: subcloudId, cause: input.cause, ...fields, first_at: now, last_at: now, count: 1, cleared_at: null })
        .onConflict((oc) =>
          oc
            .columns(['subcloud_id', 'cause'])
            .where('cleared_at', 'is', null)
            .doUpdateSet((eb) => ({
              count: eb('subcloud_errors.count', '+', 1),
              what: eb.ref('excluded.what'),
              evidence: eb.ref('excluded.evidence'),
              repair: eb.ref('excluded.repair'),
              last_at: eb.ref('excluded.last_at'),
            })),
        )
        .execute();
      await this.syncSubcloud(trx, subcloudId, now);
    });
  }

  /** Clears the subcloud's active error with this cause; false when there was none. */
  async clear(db: Kysely<Schema>, subcloudId: number, cause: string, now: number): Promise<boolean> {
    return inTransaction(db, async (trx) => {
      const cleared = await trx
        .updateTable('subcloud_errors')
        .set({ cleared_at: now })
        .where('subcloud_id', '=', subcloudId)
        .where('cause', '=', cause)
        .where('cleared_at', 'is', null)
        .executeTakeFirst();
      if (Number(cleared.numUpdatedRows) === 0) return false;
      const keep = trx
        .selectFrom('subcloud_errors')
        .select('id')
        .where('subcloud_id', '=', subcloudId)
        .where('cleared_at', 'is not', null)
        .orderBy('cleared_at', 'desc')
        .orderBy('id', 'desc')
        .limit(ERROR_HISTORY_KEEP);
      await trx.deleteFrom('subcloud_errors').where('subcloud_id', '=', subcloudId).where('cleared_at', 'is not', null).where('id', 'not in', keep).execute();
      await this.syncSubcloud(trx, subcloudId, now);
      return true;
    });
  }

  /** Active errors, most recent first; with includeCleared, then the history, most recently cleared first. */
  async list(subcloudId: number, options: { includeCleared?: boolean } = {}): Promise<SubcloudErrorView[]> {
    const base = this.deps.db
      .selectFrom('subcloud_errors as e')
      .innerJoin('subclouds as s', 's.id', 'e.subcloud_id')
      .selectAll('e')
      .select('s.name')
      .where('e.subcloud_id', '=', subcloudId);
    const active = await base.where('e.cleared_at', 'is', null).orderBy('e.last_at', 'desc').orderBy('e.id', 'desc').execute();
    const cleared = options.includeCleared
      ? await base.where('e.cleared_at', 'is not', null).orderBy('e.cleared_at', 'desc').orderBy('e.id', 'desc').limit(ERROR_HISTORY_KEEP).execute()
      : [];
    return [...active, ...cleared].map((e) => view(e, e.name));
  }

  /** Active errors across the fleet grouped by cause: most subclouds first. */
  async fleetByCause(): Promise<FleetErrorGroup[]> {
    const db = this.deps.db;
    const ranked = db
      .selectFrom('subcloud_errors as e')
      .innerJoin('subclouds as s', 's.id', 'e.subcloud_id')
      .select(['e.cause', 's.name', 'e.what', 'e.repair', 'e.last_at'])
      .select((eb) => eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy('e.cause').orderBy('e.last_at', 'desc').orderBy('e.id', 'desc')).as('rn'))
      .where('e.cleared_at', 'is', null);
    const [counts, examples] = await Promise.all([
      db
        .selectFrom('subcloud_errors')
        .select((eb) => ['cause', eb.fn.countAll<number>().as('n')])
        .where('cleared_at', 'is', null)
        .groupBy('cause')
        .execute(),
      db.selectFrom(ranked.as('r')).selectAll('r').where('r.rn', '<=', FLEET_EXAMPLES).orderBy('r.cause').orderBy('r.rn').execute(),
    ]);
    const groups = counts.map((c): FleetErrorGroup => {
      const mine = examples.filter((e) => e.cause === c.cause);
      const latest = mine[0]!;
      return { cause: c.cause, subclouds: Number(c.n), examples: mine.map((e) => e.name), what: latest.what, repair: fill(latest.repair, 'NAME'), last_at: iso(Number(latest.last_at)) };
    });
    return groups.sort((a, b) => b.subclouds - a.subclouds || (a.cause < b.cause ? -1 : a.cause > b.cause ? 1 : 0));
  }

  /** error_description and error_cause follow the latest active error; written only when they change. */
  private async syncSubcloud(trx: Kysely<Schema>, subcloudId: number, now: number): Promise<void> {
    const latest = await trx
      .selectFrom('subcloud_errors')
      .select(['cause', 'what', 'evidence'])
      .where('subcloud_id', '=', subcloudId)
      .where('cleared_at', 'is', null)
      .orderBy('last_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const error_description = latest ? describeError(latest) : NO_ERRORS;
    const error_cause = latest?.cause ?? null;
    const current = await trx.selectFrom('subclouds').select(['error_description', 'error_cause']).where('id', '=', subcloudId).executeTakeFirst();
    if (!current || (current.error_description === error_description && current.error_cause === error_cause)) return;
    await trx.updateTable('subclouds').set({ error_description, error_cause, updated_at: now }).where('id', '=', subcloudId).execute();
  }
}

function view(e: SubcloudErrorRow, name: string): SubcloudErrorView {
  return {
    cause: e.cause,
    what: e.what,
    evidence: e.evidence,
    repair: fill(e.repair, name),
    first_at: iso(e.first_at),
    last_at: iso(e.last_at),
    count: e.count,
    cleared_at: e.cleared_at === null ? null : iso(e.cleared_at),
  };
}
