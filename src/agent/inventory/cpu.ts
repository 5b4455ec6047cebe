/**
 * CPU topology: one entry per online logical CPU, from sysfs
 * (/sys/devices/system/cpu/cpuN/topology), with /proc/cpuinfo filling what
 * sysfs lacks (containers, odd platforms) and giving the model name.
 */
import { parseCpuList } from './cpulist.js';
import { listDir, listNumbered, readInt, readText } from './read.js';
import type { CpuInfo, CpuInventory, Unknown } from './types.js';

const SYS_CPU = '/sys/devices/system/cpu';
const SYS_NODE = '/sys/devices/system/node';

interface CpuinfoEntry { socket?: number; core?: number }

/** /proc/cpuinfo: the model name and, per processor, its "physical id" and "core id" when given. */
export function parseCpuinfo(text: string | undefined): { model: string | undefined; processors: Map<number, CpuinfoEntry> } {
  let model: string | undefined;
  const processors = new Map<number, CpuinfoEntry>();
  for (const block of (text ?? '').split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) fields.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    const name = fields.get('model name')?.replace(/\s+/g, ' ');
    if (model === undefined && name) model = name;
    const id = wholeNumber(fields.get('processor'));
    if (id !== undefined) processors.set(id, { socket: wholeNumber(fields.get('physical id')), core: wholeNumber(fields.get('core id')) });
  }
  return { model, processors };
}

function wholeNumber(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** CPU id → NUMA node, from /sys/devices/system/node/nodeN/cpulist. */
async function nodeCpuLists(root: string): Promise<Map<number, number>> {
  const nodes = await listNumbered(root, SYS_NODE, 'node');
  const lists = await Promise.all(nodes.map(async (n) => parseCpuList(await readText(root, `${SYS_NODE}/node${n}/cpulist`)) ?? []));
  const byCpu = new Map<number, number>();
  nodes.forEach((node, i) => {
    for (const cpu of lists[i]) if (!byCpu.has(cpu)) byCpu.set(cpu, node);
  });
  return byCpu;
}

/** A CPU's NUMA node from its own directory's nodeN entry, or undefined. */
async function nodeFromCpuDir(root: string, id: number): Promise<number | undefined> {
  for (const name of await listDir(root, `${SYS_CPU}/cpu${id}`)) {
    const m = /^node(\d+)$/.exec(name);
    if (m) return Number(m[1]);
  }
  return undefined;
}

export async function readCpu(root = '/'): Promise<CpuInventory | Unknown> {
  const [sysIds, onlineText, cpuinfoText, nodeOf] = await Promise.all([
    listNumbered(root, SYS_CPU, 'cpu'),
    readText(root, `${SYS_CPU}/online`),
    readText(root, '/proc/cpuinfo'),
    nodeCpuLists(root),
  ]);
  const cpuinfo = parseCpuinfo(cpuinfoText);
  const online = parseCpuList(onlineText);
  const onlineSet = online === undefined ? undefined : new Set(online);
  const ids = (sysIds.length ? sysIds : [...cpuinfo.processors.keys()].sort((a, b) => a - b)).filter((id) => !onlineSet || onlineSet.has(id));
  if (ids.length === 0) return 'unknown';
  const known = new Set(ids);

  const cpus: CpuInfo[] = await Promise.all(
    ids.map(async (id) => {
      const topo = `${SYS_CPU}/cpu${id}/topology`;
      const [pkg, core, siblingsText, node] = await Promise.all([
        readInt(root, `${topo}/physical_package_id`),
        readInt(root, `${topo}/core_id`),
        readText(root, `${topo}/thread_siblings_list`),
        nodeOf.get(id) ?? nodeFromCpuDir(root, id),
      ]);
      const fromCpuinfo = cpuinfo.processors.get(id);
      // Some platforms report package -1; a CPU without a core id is its own core.
      const socket = pkg !== undefined && pkg >= 0 ? pkg : (fromCpuinfo?.socket ?? 0);
      const coreId = core !== undefined && core >= 0 ? core : (fromCpuinfo?.core ?? id);
      const listed = parseCpuList(siblingsText)?.filter((s) => known.has(s));
      const siblings = listed ? [...new Set([...listed, id])].sort((a, b) => a - b) : []; // [] is filled in below
      return { id, socket, core: coreId, numa_node: node ?? 0, siblings };
    }),
  );

  // Without a readable thread_siblings_list, siblings are the CPUs on the same (socket, core).
  const coreKey = (c: CpuInfo) => `${c.socket}:${c.core}`;
  const byCore = new Map<string, number[]>();
  for (const c of cpus) byCore.set(coreKey(c), [...(byCore.get(coreKey(c)) ?? []), c.id]);
  for (const c of cpus) if (c.siblings.length === 0) c.siblings = [...byCore.get(coreKey(c))!];

  return {
    model: cpuinfo.model ?? 'unknown',
    sockets: new Set(cpus.map((c) => c.socket)).size,
    cores: byCore.size,
    threads: cpus.length,
    numa_nodes: new Set(cpus.map((c) => c.numa_node)).size,
    cpus,
  };
}
