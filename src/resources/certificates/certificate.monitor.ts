/**
 * Certificate expiry alarms, as StarlingX raises them: 500.200 (major) once a
 * certificate is inside its alarm window (30 days by default, 180 for CAs),
 * 500.210 (critical) once it has expired, on the entity
 * `system.certificate.mode=<type>.uuid=<id>`. Each pass computes the alarms
 * that should stand and raises or clears only the difference, so an hourly
 * pass over a fleet's 20,000 issued certificates writes nothing when nothing
 * changed. Renewal and installation run a pass at once.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { chunk } from '../../db/chunks.js';
import type { Schema } from '../../db/schema.js';
import type { FaultService, RaiseInput } from '../alarms/fault.service.js';
import { alarmWindowOf, stateOf, type AlarmWindows } from './certificate.views.js';

export const certificateAlarmEntity = (type: string, id: string): string => `system.certificate.mode=${type}.uuid=${id}`;

const EXPIRING = '500.200';
const EXPIRED = '500.210';

export class CertificateMonitor {
  constructor(private readonly deps: { db: Kysely<Schema>; clock: Clock; fault: FaultService; windows: AlarmWindows }) {}

  /** One pass; returns how many alarms it raised and cleared. */
  async tick(): Promise<{ raised: number; cleared: number }> {
    const now = this.deps.clock.now();
    const soonest = now + Math.max(this.deps.windows.leafMs, this.deps.windows.caMs);
    const due = await this.deps.db.selectFrom('certificates').select(['id', 'name', 'type', 'not_after']).where('not_after', '<=', soonest).execute();
    const wanted = new Map<string, RaiseInput>();
    for (const row of due) {
      const state = stateOf(row, now, this.deps.windows);
      if (state === 'valid') continue;
      const alarm_id = state === 'expired' ? EXPIRED : EXPIRING;
      const when = new Date(row.not_after).toISOString().slice(0, 10);
      wanted.set(`${alarm_id} ${certificateAlarmEntity(row.type, row.id)}`, {
        alarm_id,
        entity_instance_id: certificateAlarmEntity(row.type, row.id),
        severity: state === 'expired' ? 'critical' : 'major',
        reason_text: state === 'expired' ? `Certificate ${row.name} (${row.type}) has expired on ${when}` : `Certificate ${row.name} (${row.type}) is expiring soon on ${when} (alarm window ${Math.round(alarmWindowOf(row.type, this.deps.windows) / (24 * 3_600_000))} days)`,
      });
    }
    const active = await this.deps.db.selectFrom('alarms').select(['alarm_id', 'entity_instance_id']).where('alarm_id', 'in', [EXPIRING, EXPIRED]).execute();
    const have = new Set(active.map((a) => `${a.alarm_id} ${a.entity_instance_id}`));
    const raise = [...wanted.entries()].filter(([key]) => !have.has(key)).map(([, alarm]) => alarm);
    const clear = active.filter((a) => !wanted.has(`${a.alarm_id} ${a.entity_instance_id}`));
    for (const slice of chunk(raise)) await this.deps.fault.batch({ raise: slice });
    for (const slice of chunk(clear)) await this.deps.fault.batch({ clear: slice });
    return { raised: raise.length, cleared: clear.length };
  }
}
