/** /proc/meminfo and /sys/devices/system/node/nodeN/meminfo lines. */

/**
 * "MemTotal:  16318412 kB" → MemTotal → 16318412 (kB, or a bare count for
 * HugePages_*). A per-node file's "Node 0 " prefix is dropped. Odd lines are skipped.
 */
export function parseMeminfo(text: string | undefined): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const m = /^(?:Node\s+\d+\s+)?([\w()]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line.trim());
    if (m) fields.set(m[1], Number(m[2]));
  }
  return fields;
}

/** kB → MiB, rounded down. */
export const kbToMib = (kb: number): number => Math.floor(kb / 1024);
