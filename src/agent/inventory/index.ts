/**
 * The host agent's Linux inventory and resource readers, from /proc and /sys.
 * Nothing here throws: what cannot be read is 'unknown', 0 or left out.
 * `root` is prefixed to every path (tests point it at fixture trees).
 */
import { readCpu } from './cpu.js';
import { readDisks } from './disks.js';
import { readKernel } from './kernel.js';
import { readMemory } from './memory.js';
import { readNics } from './nics.js';
import { readOs } from './os.js';
import type { Inventory } from './types.js';

export type * from './types.js';
export { readResourceStats } from './stats.js';

/** A reader's result, or `fallback` should it fail in a way nobody foresaw. */
const orElse = <T>(p: Promise<T>, fallback: T): Promise<T> => p.catch(() => fallback);

export async function readInventory(root = '/'): Promise<Inventory> {
  const [cpu, memory, disks, nics, kernel, os] = await Promise.all([
    orElse(readCpu(root), 'unknown'),
    orElse(readMemory(root), { total_mib: 'unknown', numa: [] }),
    orElse(readDisks(root), []),
    orElse(readNics(root), []),
    orElse(readKernel(root), { release: 'unknown', lowlatency: 'unknown', cmdline: 'unknown' }),
    orElse(readOs(root), { name: 'unknown', version: 'unknown' }),
  ]);
  return { cpu, memory, disks, nics, kernel, os };
}
