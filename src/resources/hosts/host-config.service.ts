/**
 * Changes to a host's configuration (StarlingX host-cpu-modify,
 * host-memory-modify, host-kernel-modify). As in StarlingX the host must be
 * locked. A change writes the new desired configuration and its token, bumps
 * the generation, raises 250.001 "configuration out-of-date" until the agent
 * reports the token applied, and wakes the agent's long poll.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { contentToken } from '../../core/canonical.js';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { Dialect } from '../../db/database.js';
import type { HostRow, Schema } from '../../db/schema.js';
import type { Waiters } from '../../protocol/long-poll.js';
import type { FaultService } from '../alarms/fault.service.js';
import { assignCpus, setHugepages, topologyOf } from './host-config.js';
import type { CpuFunction, HostConfig, Kernel } from './host.types.js';
import { toHostView, type HostView } from './host.views.js';

export type ConfigChange =
  | { kind: 'cpu'; function: CpuFunction; cpus: number[] }
  | { kind: 'memory'; numa_node: number; hugepages_2m?: number; hugepages_1g?: number }
  | { kind: 'kernel'; kernel: Kernel };

export const outOfDateAlarm = (hostname: string) => ({
  alarm_id: '250.001',
  entity_instance_id: `host=${hostname}`,
  severity: 'major',
  reason_text: `${hostname} Configuration is out-of-date.`,
});

export class HostConfigService {
  constructor(private readonly deps: { db: Kysely<Schema>; dialect: Dialect; clock: Clock; fault: FaultService; waiters: Waiters }) {}

  async modify(hostname: string, change: ConfigChange): Promise<HostView> {
    const now = this.deps.clock.now();
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('hosts').selectAll().where('hostname', '=', hostname);
      if (this.deps.dialect === 'postgres') q = q.forUpdate();
      const host = await q.executeTakeFirst();
      if (!host) throw new NotFoundError(`host ${hostname} not found`, 'hostname');
      if (host.administrative !== 'locked') throw new ConflictError(`cannot change ${hostname}'s configuration: it is unlocked (rule: lock the host first, as StarlingX requires)`, 'hostname');
      const config = JSON.parse(host.config) as HostConfig;
      const next: HostConfig = { ...config };
      if (change.kind === 'kernel') next.kernel = change.kernel;
      else if (change.kind === 'cpu') next.cpu = assignCpus(topologyOf(host.inventory && JSON.parse(host.inventory), hostname), config.cpu, change.function, change.cpus);
      else {
        next.hugepages = setHugepages(topologyOf(host.inventory && JSON.parse(host.inventory), hostname), config, change.numa_node, {
          ...(change.hugepages_2m !== undefined ? { '2M': change.hugepages_2m } : {}),
          ...(change.hugepages_1g !== undefined ? { '1G': change.hugepages_1g } : {}),
        });
      }
      const token = contentToken(next);
      if (token === host.config_token) return { host, effects: undefined };
      const base = host.subfunctions.split(',').filter((f) => f !== 'lowlatency');
      const updated: HostRow = {
        ...host,
        config: JSON.stringify(next),
        config_token: token,
        generation: host.generation + 1,
        subfunctions: [...base, ...(next.kernel === 'lowlatency' ? ['lowlatency'] : [])].join(','),
        updated_at: now,
      };
      const { id, ...rest } = updated;
      await trx.updateTable('hosts').set(rest).where('id', '=', id).execute();
      const effects = await this.deps.fault.applyBatch(trx, { raise: [outOfDateAlarm(hostname)] });
      return { host: updated, effects };
    });
    if (outcome.effects) {
      this.deps.fault.committed(outcome.effects);
      this.deps.waiters.notify(outcome.host.id);
    }
    return toHostView(outcome.host);
  }
}
