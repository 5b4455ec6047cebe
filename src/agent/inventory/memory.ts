/**
 * Memory: the total from /proc/meminfo, and per NUMA node its size and
 * hugepages from /sys/devices/system/node. Without node directories (a
 * container, a kernel without NUMA) there is one node 0 built from
 * /proc/meminfo and /sys/kernel/mm/hugepages.
 */
import { kbToMib, parseMeminfo } from './meminfo.js';
import { listNumbered, readInt, readText } from './read.js';
import type { HugepageCounts, MemoryInventory, NumaMemory } from './types.js';

const SYS_NODE = '/sys/devices/system/node';
const PAGE_DIRS = { '2M': 'hugepages-2048kB', '1G': 'hugepages-1048576kB' } as const;

/** Hugepage counts under a hugepages/ directory; unreadable counts are 0. */
async function readHugepages(root: string, dir: string): Promise<NumaMemory['hugepages']> {
  const counts = async (size: keyof typeof PAGE_DIRS): Promise<HugepageCounts> => {
    const [total, free] = await Promise.all([
      readInt(root, `${dir}/${PAGE_DIRS[size]}/nr_hugepages`),
      readInt(root, `${dir}/${PAGE_DIRS[size]}/free_hugepages`),
    ]);
    return { total: Math.max(total ?? 0, 0), free: Math.max(free ?? 0, 0) };
  };
  const [twoM, oneG] = await Promise.all([counts('2M'), counts('1G')]);
  return { '2M': twoM, '1G': oneG };
}

async function readNode(root: string, node: number): Promise<NumaMemory> {
  const dir = `${SYS_NODE}/node${node}`;
  const [meminfo, hugepages] = await Promise.all([readText(root, `${dir}/meminfo`), readHugepages(root, `${dir}/hugepages`)]);
  const kb = parseMeminfo(meminfo).get('MemTotal');
  return { node, total_mib: kb === undefined ? 0 : kbToMib(kb), hugepages };
}

export async function readMemory(root = '/'): Promise<MemoryInventory> {
  const [meminfo, nodes] = await Promise.all([readText(root, '/proc/meminfo'), listNumbered(root, SYS_NODE, 'node')]);
  const totalKb = parseMeminfo(meminfo).get('MemTotal');

  let numa: NumaMemory[];
  if (nodes.length) {
    numa = await Promise.all(nodes.map((n) => readNode(root, n)));
  } else {
    const hugepages = await readHugepages(root, '/sys/kernel/mm/hugepages');
    const anyHugepages = Object.values(hugepages).some((c) => c.total > 0);
    numa = totalKb !== undefined || anyHugepages ? [{ node: 0, total_mib: totalKb === undefined ? 0 : kbToMib(totalKb), hugepages }] : [];
  }

  const nodesMib = numa.reduce((sum, n) => sum + n.total_mib, 0);
  return { total_mib: totalKb !== undefined ? kbToMib(totalKb) : nodesMib > 0 ? nodesMib : 'unknown', numa };
}
