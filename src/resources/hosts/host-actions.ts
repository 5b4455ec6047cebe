/**
 * Host lifecycle actions. Each writes the host's spec (administrative state,
 * controller role, pending one-shot actions for the agent), bumps its
 * generation and wakes its agent's long poll; the agent reports back when a
 * one-shot action is done.
 * - lock: 200.001 raised; unlock: 200.001 cleared, configuration re-applied,
 *   `intest` until the agent confirms.
 * - reboot, reinstall: locked hosts only; done by the agent's driver.
 * - swact: the active controller role moves to the standby (401.007 logged).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { newUuid } from '../../core/ids.js';
import type { Dialect } from '../../db/database.js';
import type { HostRow, Schema } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { BatchInput, FaultService } from '../alarms/fault.service.js';
import type { SystemService } from '../system/system.service.js';
import { deriveState, type HostFacts } from './availability.js';
import { refusal, type HostAction } from './host-guards.js';
import type { Administrative } from './host.types.js';
import { toHostView, type HostView } from './host.views.js';

export interface PendingAction {
  id: string;
  kind: string;
}

const TASKS: Record<string, string> = { unlock: 'Unlocking', reboot: 'Rebooting', reinstall: 'Reinstalling', recover: 'Recovering' };

/** The task shown for a host: its first pending one-shot action, if any. */
export const taskFor = (actions: PendingAction[]): string | null => (actions[0] ? (TASKS[actions[0].kind] ?? null) : null);

/** The facts deriveState needs, from a host row (with its heartbeat as stored). */
export function factsOf(host: Pick<HostRow, 'actions' | 'administrative' | 'heartbeat' | 'applied_config_token' | 'config_token'>): HostFacts {
  const actions = JSON.parse(host.actions) as PendingAction[];
  return {
    administrative: host.administrative as Administrative,
    reporting: host.heartbeat === 'ok',
    heartbeat: host.heartbeat as HostFacts['heartbeat'],
    configInSync: host.applied_config_token === host.config_token && !actions.some((a) => a.kind === 'unlock'),
    degradeAlarm: false,
  };
}

export interface HostActionDeps {
  db: Kysely<Schema>;
  dialect: Dialect;
  clock: Clock;
  fault: FaultService;
  waiters: Waiters;
  system: SystemService;
}

export class HostActions {
  constructor(private readonly deps: HostActionDeps) {}

  async run(hostname: string, action: HostAction, options: { force?: boolean } = {}): Promise<HostView> {
    const { mode } = await this.deps.system.get();
    const now = this.deps.clock.now();
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('hosts').selectAll().where((eb) => eb.or([eb('personality', '=', 'controller'), eb('hostname', '=', hostname)]));
      if (this.deps.dialect === 'postgres') q = q.forUpdate();
      const rows = await q.execute();
      const host = rows.find((r) => r.hostname === hostname);
      if (!host) throw new NotFoundError(`host ${hostname} not found`, 'hostname');
      const peer = host.personality === 'controller' ? rows.find((r) => r.personality === 'controller' && r.id !== host.id) : undefined;
      const reason = refusal(action, { host, mode, peer, force: options.force ?? false });
      if (reason) throw new ConflictError(`cannot ${action} ${hostname}: ${reason}`, 'action');

      const actions = JSON.parse(host.actions) as PendingAction[];
      const batch: BatchInput = { raise: [], clear: [], log: [] };
      const change: Partial<HostRow> = {};
      const entity = `host=${host.hostname}`;
      const touched: HostRow[] = [];
      switch (action) {
        case 'lock':
          change.administrative = 'locked';
          change.actions = JSON.stringify(actions.filter((a) => a.kind !== 'unlock'));
          batch.raise!.push({ alarm_id: '200.001', entity_instance_id: entity, severity: 'warning', reason_text: `${host.hostname} was administratively locked to take it out of service.` });
          break;
        case 'unlock':
          change.administrative = 'unlocked';
          change.actions = JSON.stringify([...actions, { id: newUuid(now), kind: 'unlock' }]);
          batch.clear!.push({ alarm_id: '200.001', entity_instance_id: entity });
          // A reboot-required release deployed on it now runs (software deploy's 900.020).
          batch.clear!.push({ alarm_id: '900.020', entity_instance_id: entity });
          break;
        case 'reboot':
        case 'reinstall':
          change.actions = JSON.stringify([...actions, { id: newUuid(now), kind: action }]);
          break;
        case 'swact':
          change.controller_role = 'standby';
          touched.push({ ...peer!, controller_role: 'active', generation: peer!.generation + 1, updated_at: now });
          batch.log!.push({ alarm_id: '401.007', entity_instance_id: entity, severity: 'critical', reason_text: `Swact: ${peer!.hostname} is now the active controller (was ${host.hostname}).` });
          break;
      }
      const next: HostRow = { ...host, ...change, generation: host.generation + 1, updated_at: now };
      next.task = taskFor(JSON.parse(next.actions) as PendingAction[]);
      Object.assign(next, deriveState(factsOf(next)));
      touched.unshift(next);
      for (const row of touched) {
        const { id, ...rest } = row;
        await trx.updateTable('hosts').set(rest).where('id', '=', id).execute();
      }
      const effects = batch.raise!.length + batch.clear!.length + batch.log!.length ? await this.deps.fault.applyBatch(trx, batch) : undefined;
      return { host: next, effects, touched };
    });
    if (outcome.effects) this.deps.fault.committed(outcome.effects);
    for (const row of outcome.touched) this.deps.waiters.notify(row.id);
    return toHostView(outcome.host);
  }
}
