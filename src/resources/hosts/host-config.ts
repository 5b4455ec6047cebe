/**
 * Host configuration rules, checked against the topology the agent reported
 * (pure functions; each error names the field and the reason).
 * - CPU functions per logical CPU; SMT siblings share their core's function;
 *   every NUMA node keeps at least one platform core.
 * - Hugepages per NUMA node fit in the node's memory, leaving the platform
 *   its reserve.
 * CPUs with no explicit function follow StarlingX's default: the first core
 * of each NUMA node is platform, the rest application.
 */
import { InputError } from '../../core/errors.js';
import type { CpuInfo } from '../../agent/inventory/types.js';
import type { CpuFunction, HostConfig } from './host.types.js';

export interface Topology {
  cpus: CpuInfo[];
  /** MiB per NUMA node. */
  numaMemory: Map<number, number>;
}

/** Memory kept for the platform on each NUMA node: 1 GiB or 10 %, whichever is larger. */
export const platformReserveMib = (nodeMib: number): number => Math.max(1024, Math.ceil(nodeMib * 0.1));

/** Reads the topology out of a reported inventory; throws when there is none yet. */
export function topologyOf(inventory: unknown, hostname: string): Topology {
  const inv = inventory as { cpu?: { cpus?: CpuInfo[] } | string; memory?: { numa?: Array<{ node: number; total_mib: number }> } } | null;
  const cpus = inv && typeof inv.cpu === 'object' ? (inv.cpu.cpus ?? []) : [];
  if (cpus.length === 0) throw new InputError(`${hostname} has not reported its CPU topology yet; start its agent first`, 'hostname');
  return { cpus, numaMemory: new Map((inv?.memory?.numa ?? []).map((n) => [n.node, n.total_mib])) };
}

/** The function every CPU ends up with: explicit assignments over the default. */
export function effectiveCpuFunctions(topology: Topology, assigned: Record<string, CpuFunction>): Map<number, CpuFunction> {
  const firstCoreOfNode = new Map<number, number>();
  for (const c of [...topology.cpus].sort((a, b) => a.id - b.id)) if (!firstCoreOfNode.has(c.numa_node)) firstCoreOfNode.set(c.numa_node, c.core + c.socket * 1_000_000);
  const result = new Map<number, CpuFunction>();
  for (const c of topology.cpus) {
    const fallback: CpuFunction = firstCoreOfNode.get(c.numa_node) === c.core + c.socket * 1_000_000 ? 'platform' : 'application';
    result.set(c.id, assigned[String(c.id)] ?? fallback);
  }
  return result;
}

/** Returns the new CPU assignment with `cpus` set to `fn`, or throws naming what is wrong. */
export function assignCpus(topology: Topology, current: Record<string, CpuFunction>, fn: CpuFunction, cpus: number[]): Record<string, CpuFunction> {
  const byId = new Map(topology.cpus.map((c) => [c.id, c]));
  for (const id of cpus) {
    if (!byId.has(id)) throw new InputError(`cpus: CPU ${id} is not in this host's topology (it has ${topology.cpus.map((c) => c.id).join(',')})`, 'cpus');
  }
  const chosen = new Set(cpus);
  for (const id of cpus) {
    const missing = byId.get(id)!.siblings.filter((s) => !chosen.has(s));
    if (missing.length) throw new InputError(`cpus: CPU ${id} shares its core with ${missing.join(',')} (SMT siblings); give them together`, 'cpus');
  }
  const next = { ...current };
  for (const id of cpus) next[String(id)] = fn;
  const effective = effectiveCpuFunctions(topology, next);
  const nodes = new Set(topology.cpus.map((c) => c.numa_node));
  for (const node of nodes) {
    const hasPlatform = topology.cpus.some((c) => c.numa_node === node && effective.get(c.id) === 'platform');
    if (!hasPlatform) throw new InputError(`cpus: NUMA node ${node} would have no platform core; keep at least one`, 'cpus');
  }
  return next;
}

export function setHugepages(topology: Topology, config: HostConfig, node: number, pages: { '2M'?: number; '1G'?: number }): HostConfig['hugepages'] {
  const total = topology.numaMemory.get(node);
  if (total === undefined) throw new InputError(`numa_node: node ${node} is not in this host's topology (it has ${[...topology.numaMemory.keys()].join(',') || 'none reported'})`, 'numa_node');
  const current = config.hugepages[String(node)] ?? { '2M': 0, '1G': 0 };
  const next = { '2M': pages['2M'] ?? current['2M'], '1G': pages['1G'] ?? current['1G'] };
  const wantMib = next['2M'] * 2 + next['1G'] * 1024;
  const allowed = total - platformReserveMib(total);
  if (wantMib > allowed) {
    throw new InputError(`hugepages: ${wantMib} MiB of hugepages on node ${node} exceeds the ${allowed} MiB available there (${total} MiB less the platform's ${platformReserveMib(total)} MiB)`, 'hugepages');
  }
  return { ...config.hugepages, [String(node)]: next };
}

/** Parses "0-3,8,10-11" into CPU ids, or throws naming the field. */
export function parseCpuList(text: string): number[] {
  const ids: number[] = [];
  for (const part of text.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new InputError(`cpus: "${part}" is not a CPU id or range (e.g. 2-3,6)`, 'cpus');
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from || to - from > 4096) throw new InputError(`cpus: "${part}" is not a valid range`, 'cpus');
    for (let i = from; i <= to; i++) ids.push(i);
  }
  return [...new Set(ids)].sort((a, b) => a - b);
}
