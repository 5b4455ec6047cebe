/** The kernel's CPU list syntax ("0-3,8,10-11"), as in cpulist, online, thread_siblings_list. */

/** Above any real NR_CPUS (8192): guards against a garbage range allocating millions of entries. */
const MAX_CPUS = 65_536;

/** The ids in a CPU list, sorted and unique; [] for a blank list; undefined if malformed. */
export function parseCpuList(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '') return [];
  const ids = new Set<number>();
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi >= MAX_CPUS) return undefined;
    for (let i = lo; i <= hi; i++) ids.add(i);
  }
  return [...ids].sort((a, b) => a - b);
}
