/**
 * Fault management's rules: what may be raised (the catalogue), how a raise,
 * clear or log becomes alarm rows and event-log rows in one transaction, and
 * the change feed told only after commit.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { InputError, NotFoundError } from '../../core/errors.js';
import { newUuid } from '../../core/ids.js';
import type { Dialect } from '../../db/database.js';
import type { AlarmRow, EventRow, NewAlarmRow, NewEventRow, Schema } from '../../db/schema.js';
import { insertEvents } from '../events/event.store.js';
import type { ChangeFeed } from '../stream/change-feed.js';
import { addSuppressions, removeSuppressions, suppressedIds } from '../suppression/suppression.store.js';
import { deleteAlarmByUuid, deleteAlarms, findAlarm, setSuppressedFlag, upsertAlarms, type AlarmKey } from './alarm.store.js';
import { toAlarmView, toEventView, type AlarmView, type EventView } from './alarm.views.js';
import { atLeast, type AlarmDefinition, type Catalogue, type Severity } from './catalogue.js';

export interface RaiseInput {
  alarm_id: string;
  entity_instance_id: string;
  severity: string;
  reason_text: string;
  /** Defaults to the definition's entity type. */
  entity_type_id?: string;
}

export type ClearInput = AlarmKey;

export interface LogInput extends RaiseInput {
  /** `log` (a customer log, the default) or `msg`. */
  alarm_state?: 'log' | 'msg';
}

export interface BatchInput {
  raise?: RaiseInput[];
  clear?: ClearInput[];
  log?: LogInput[];
}

export interface BatchResult {
  /** Alarms that did not exist and were raised. */
  created: number;
  /** Existing alarms whose severity or reason changed. */
  updated: number;
  /** Re-raises identical to the active alarm: nothing written. */
  unchanged: number;
  cleared: number;
  /** Clears for alarms that were not active (idempotent, not an error). */
  not_active: number;
  logged: number;
}

/** What a batch wrote, to be published once its transaction commits. */
export interface BatchEffects {
  result: BatchResult;
  events: EventRow[];
}

export interface FaultServiceDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  catalogue: Catalogue;
  clock: Clock;
  feed: ChangeFeed;
}

const keyOf = (k: AlarmKey): string => `${k.alarm_id}\u0000${k.entity_instance_id}`;

export class FaultService {
  /** Bumped after every committed change to active alarms; list caches key on it. */
  private alarmsVersion = 0;

  constructor(private readonly deps: FaultServiceDeps) {}

  get version(): number {
    return this.alarmsVersion;
  }

  get catalogue(): Catalogue {
    return this.deps.catalogue;
  }

  private definition(alarmId: string, field: string, kind: 'alarm' | 'any'): AlarmDefinition {
    const def = this.deps.catalogue.get(alarmId);
    if (!def) throw new InputError(`${field}: unknown alarm ID ${alarmId} (see GET /api/v1/alarm-definitions)`, field);
    if (kind === 'alarm' && def.kind !== 'alarm') {
      throw new InputError(`${field}: ${alarmId} is a log, not an alarm; it can only be logged as an event`, field);
    }
    return def;
  }

  private checkSeverity(def: AlarmDefinition, severity: string, field: string): Severity {
    if (!(def.severities as readonly string[]).includes(severity)) {
      throw new InputError(`${field}: ${def.alarmId} cannot be raised with severity ${severity}; allowed: ${def.severities.join(', ')}`, field);
    }
    return severity as Severity;
  }

  /** What an alarm or a log takes from its input and its catalogue definition. */
  private faultFields(def: AlarmDefinition, input: RaiseInput, severity: Severity, suppressed: Set<string>, now: number) {
    return {
      uuid: newUuid(),
      alarm_id: def.alarmId,
      entity_instance_id: input.entity_instance_id,
      entity_type_id: input.entity_type_id ?? def.entityTypeId,
      severity,
      reason_text: input.reason_text,
      alarm_type: def.alarmType,
      probable_cause: def.probableCause,
      proposed_repair_action: def.proposedRepairAction,
      service_affecting: def.serviceAffecting ? 1 : 0,
      suppressed: suppressed.has(def.alarmId) ? 1 : 0,
      timestamp: now,
    } as const;
  }

  private toAlarmRow(input: RaiseInput, field: string, now: number, suppressed: Set<string>): NewAlarmRow {
    const def = this.definition(input.alarm_id, `${field}.alarm_id`, 'alarm');
    const severity = this.checkSeverity(def, input.severity, `${field}.severity`);
    return {
      ...this.faultFields(def, input, severity, suppressed, now),
      mgmt_affecting: atLeast(severity, def.mgmtAffectingSeverity) ? 1 : 0,
      degrade_affecting: atLeast(severity, def.degradeAffectingSeverity) ? 1 : 0,
      created_at: now,
    };
  }

  private eventFromAlarm(row: AlarmRow | NewAlarmRow, state: 'set' | 'clear', now: number): NewEventRow {
    return {
      uuid: newUuid(),
      alarm_id: row.alarm_id,
      alarm_state: state,
      entity_instance_id: row.entity_instance_id,
      entity_type_id: row.entity_type_id,
      // StarlingX's event log shows "clear" as the severity of a clear event.
      severity: state === 'clear' ? 'clear' : row.severity,
      reason_text: row.reason_text,
      alarm_type: row.alarm_type,
      probable_cause: row.probable_cause,
      proposed_repair_action: row.proposed_repair_action,
      service_affecting: row.service_affecting,
      suppressed: row.suppressed,
      timestamp: now,
    };
  }

  private toLogEvent(input: LogInput, field: string, now: number, suppressed: Set<string>): NewEventRow {
    const def = this.definition(input.alarm_id, `${field}.alarm_id`, 'any');
    const severity = this.checkSeverity(def, input.severity, `${field}.severity`);
    return { ...this.faultFields(def, input, severity, suppressed, now), alarm_state: input.alarm_state ?? 'log' };
  }

  /**
   * Applies a batch atomically: every entry is validated first (an error names
   * the entry, e.g. `raise[3].severity`) and nothing is written unless all are
   * valid. Clears are applied before raises; one key may not be in both.
   */
  async batch(input: BatchInput): Promise<BatchResult> {
    this.validateBatch(input);
    const effects = await this.deps.db.transaction().execute((trx) => this.applyBatch(trx, input));
    this.committed(effects);
    return effects.result;
  }

  /** Throws InputError naming the first bad entry of a batch. */
  validateBatch(input: BatchInput): void {
    const raise = dedupeLastWins(input.raise ?? []);
    const clear = dedupeLastWins(input.clear ?? []);
    const raisedKeys = new Set(raise.map(({ item }) => keyOf(item)));
    for (const { item, index } of clear) {
      if (raisedKeys.has(keyOf(item))) {
        throw new InputError(`clear[${index}]: ${item.alarm_id} on ${item.entity_instance_id} is also being raised in this batch; send one or the other`, `clear[${index}]`);
      }
    }
    const now = this.deps.clock.now();
    (input.raise ?? []).forEach((item, index) => this.toAlarmRow(item, `raise[${index}]`, now, new Set()));
    (input.log ?? []).forEach((item, index) => this.toLogEvent(item, `log[${index}]`, now, new Set()));
  }

  /**
   * Writes a validated batch inside the caller's transaction, so that other
   * writes (an agent's acknowledged sequence number) commit with it. Pass the
   * result to `committed` after the transaction commits.
   */
  async applyBatch(trx: Kysely<Schema>, input: BatchInput): Promise<BatchEffects> {
    const raise = dedupeLastWins(input.raise ?? []);
    const clear = dedupeLastWins(input.clear ?? []);
    const logs = input.log ?? [];
    const now = this.deps.clock.now();
    const result: BatchResult = { created: 0, updated: 0, unchanged: 0, cleared: 0, not_active: 0, logged: 0 };
    const ids = [...new Set([...raise.map((r) => r.item.alarm_id), ...logs.map((l) => l.alarm_id)])];
    const suppressed = await suppressedIds(trx, ids);
    const newEvents: NewEventRow[] = [];

    if (clear.length) {
      const removed = await deleteAlarms(trx, clear.map((c) => c.item));
      result.cleared = removed.length;
      result.not_active = clear.length - removed.length;
      newEvents.push(...removed.map((row) => this.eventFromAlarm(row, 'clear', now)));
    }
    if (raise.length) {
      const rows = raise.map(({ item, index }) => this.toAlarmRow(item, `raise[${index}]`, now, suppressed));
      const byKey = new Map(rows.map((r) => [keyOf(r), r]));
      const written = await upsertAlarms(trx, this.deps.dialect, rows);
      for (const key of written) {
        const row = byKey.get(keyOf(key))!;
        if (row.uuid === key.uuid) result.created++;
        else result.updated++;
        newEvents.push(this.eventFromAlarm(row, 'set', now));
      }
      result.unchanged = rows.length - written.length;
    }
    newEvents.push(...logs.map((item, index) => this.toLogEvent(item, `log[${index}]`, now, suppressed)));
    result.logged = logs.length;
    const events = await insertEvents(trx, this.deps.dialect, newEvents);
    return { result, events };
  }

  /** After commit: bump the list version and tell the change feed. */
  committed(effects: BatchEffects): void {
    const r = effects.result;
    if (r.created || r.updated || r.cleared) this.alarmsVersion++;
    this.publish(effects.events.map(toEventView));
  }

  /** Raises one alarm; `outcome` says whether it was new, changed or identical. */
  async raise(input: RaiseInput): Promise<{ alarm: AlarmView; outcome: 'created' | 'updated' | 'unchanged' }> {
    const r = await this.batchSingle({ raise: [input] });
    const row = await findAlarm(this.deps.db, input);
    if (!row) throw new NotFoundError(`alarm ${input.alarm_id} on ${input.entity_instance_id} was cleared meanwhile`);
    const outcome = r.created ? 'created' : r.updated ? 'updated' : 'unchanged';
    return { alarm: toAlarmView(row, this.deps.catalogue), outcome };
  }

  /** Clears one alarm; unlike batch clears, a missing alarm is a NotFoundError. */
  async clear(key: ClearInput): Promise<void> {
    this.definition(key.alarm_id, 'alarm_id', 'alarm');
    const r = await this.batchSingle({ clear: [key] });
    if (!r.cleared) throw new NotFoundError(`no active alarm ${key.alarm_id} on ${key.entity_instance_id}`, 'entity_instance_id');
  }

  async log(input: LogInput): Promise<EventView> {
    const now = this.deps.clock.now();
    const [event] = await this.deps.db.transaction().execute(async (trx) => {
      const suppressed = await suppressedIds(trx, [input.alarm_id]);
      return insertEvents(trx, this.deps.dialect, [this.toLogEvent(input, 'event', now, suppressed)]);
    });
    const view = toEventView(event!);
    this.publish([view]);
    return view;
  }

  /** Deletes a (stale) alarm by uuid, logging a clear event for it. */
  async deleteAlarm(uuid: string): Promise<void> {
    const now = this.deps.clock.now();
    const events = await this.deps.db.transaction().execute(async (trx) => {
      const row = await deleteAlarmByUuid(trx, uuid);
      if (!row) throw new NotFoundError(`alarm ${uuid} not found`, 'uuid');
      return insertEvents(trx, this.deps.dialect, [this.eventFromAlarm(row, 'clear', now)]);
    });
    this.alarmsVersion++;
    this.publish(events.map(toEventView));
  }

  /**
   * Suppresses or unsuppresses alarm IDs. Every ID is checked first (known,
   * an alarm, suppressible); `all` is allowed for unsuppress only.
   */
  async setSuppression(alarmIds: string[] | 'all', suppress: boolean, actor: string | null): Promise<void> {
    if (alarmIds === 'all' && suppress) throw new InputError('alarm_ids: "all" can only be unsuppressed', 'alarm_ids');
    if (alarmIds !== 'all') {
      alarmIds.forEach((id, i) => {
        const def = this.definition(id, `alarm_ids[${i}]`, 'alarm');
        if (!def.suppressible) throw new InputError(`alarm_ids[${i}]: ${id} cannot be suppressed (its definition does not allow it)`, `alarm_ids[${i}]`);
      });
    }
    await this.deps.db.transaction().execute(async (trx) => {
      if (suppress) await addSuppressions(trx, alarmIds as string[], this.deps.clock.now(), actor);
      else await removeSuppressions(trx, alarmIds);
      await setSuppressedFlag(trx, alarmIds, suppress);
    });
    this.alarmsVersion++;
    this.deps.feed.publish([{ type: 'suppression', alarm_ids: alarmIds, suppression_status: suppress ? 'suppressed' : 'unsuppressed' }]);
  }

  async suppressionList(): Promise<Array<{ alarm_id: string; description: string; suppression_status: 'suppressed' | 'unsuppressed' }>> {
    const suppressed = await suppressedIds(this.deps.db);
    return this.deps.catalogue
      .all()
      .filter((d) => d.kind === 'alarm' && d.suppressible)
      .map((d) => ({ alarm_id: d.alarmId, description: d.description, suppression_status: suppressed.has(d.alarmId) ? 'suppressed' : 'unsuppressed' }));
  }

  private batchSingle(input: BatchInput): Promise<BatchResult> {
    return this.batch(input).catch((err: unknown) => {
      // Single-item calls name fields without the batch prefix.
      if (err instanceof InputError && err.field) {
        const field = err.field.replace(/^(raise|clear|log)\[0\]\.?/, '');
        throw new InputError(err.message.replace(/^(raise|clear|log)\[0\]\.?/, ''), field || undefined);
      }
      throw err;
    });
  }

  private publish(events: EventView[]): void {
    if (events.length) this.deps.feed.publish(events.map((event) => ({ type: 'event', event })));
  }
}

/** Keeps the last occurrence of each key, remembering its index for error messages. */
function dedupeLastWins<T extends AlarmKey>(items: T[]): Array<{ item: T; index: number }> {
  const byKey = new Map<string, { item: T; index: number }>();
  items.forEach((item, index) => {
    const k = keyOf(item);
    byKey.delete(k);
    byKey.set(k, { item, index });
  });
  return [...byKey.values()];
}
