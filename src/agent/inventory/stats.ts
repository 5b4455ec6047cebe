/**
 * Volatile resource figures: available memory, cumulative CPU times (the
 * caller takes differences between two readings for a busy %), and how full
 * each filesystem is.
 */
import { statfs } from 'node:fs/promises';
import { kbToMib, parseMeminfo } from './meminfo.js';
import { readText, under } from './read.js';
import type { ResourceStats } from './types.js';

type Filesystem = ResourceStats['filesystems'][number];

/** Not worth a usage figure: kernel pseudo filesystems, and read-only images that are always full. */
const PSEUDO = new Set([
  'proc', 'sysfs', 'tmpfs', 'devtmpfs', 'devpts', 'ramfs', 'rootfs', 'cgroup', 'cgroup2', 'cpuset', 'securityfs', 'debugfs', 'tracefs',
  'pstore', 'bpf', 'configfs', 'fusectl', 'mqueue', 'hugetlbfs', 'autofs', 'binfmt_misc', 'efivarfs', 'rpc_pipefs', 'nsfs', 'selinuxfs',
  'sockfs', 'pipefs', 'nfsd', 'fuse.gvfsd-fuse', 'fuse.portal', 'fuse.lxcfs', 'squashfs', 'iso9660',
]);
/** Network filesystems: statfs on a hung server blocks a libuv thread for good, so they are only read when asked for. */
const NETWORK = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'ceph', 'glusterfs', 'fuse.glusterfs', 'fuse.sshfs', 'afs', '9p']);
/** A statfs that takes longer than this is dropped from the result. */
const STATFS_TIMEOUT_MS = 2_000;

/** Memory figures from /proc/meminfo. */
export function memoryStats(meminfo: string | undefined): Pick<ResourceStats, 'memory_available_mib' | 'memory_used_pct'> {
  const fields = parseMeminfo(meminfo);
  const total = fields.get('MemTotal');
  const available = fields.get('MemAvailable');
  if (available === undefined) return { memory_available_mib: 'unknown', memory_used_pct: 'unknown' };
  return {
    memory_available_mib: kbToMib(available),
    memory_used_pct: total ? round2(((total - available) / total) * 100) : 'unknown',
  };
}

/**
 * The aggregate "cpu " line of /proc/stat, in USER_HZ ticks since boot. Total
 * is user..steal: guest and guest_nice are already counted in user and nice.
 */
export function cpuTimes(stat: string | undefined): ResourceStats['cpu_times'] {
  const line = (stat ?? '').split('\n').find((l) => l.startsWith('cpu '));
  const fields = line?.trim().split(/\s+/).slice(1, 9) ?? [];
  if (fields.length < 4 || !fields.every((f) => /^\d+$/.test(f))) return 'unknown';
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/** Undo /proc/mounts' octal escapes ("\040" for a space). */
const unescapeMount = (p: string) => p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** The mount points in /proc/mounts worth a usage figure, each once, in order. */
export function realMounts(mounts: string | undefined): string[] {
  const seen = new Set<string>();
  for (const line of (mounts ?? '').split('\n')) {
    const [, mount, type] = line.trim().split(/\s+/);
    if (!mount || !type || PSEUDO.has(type) || NETWORK.has(type)) continue;
    seen.add(unescapeMount(mount));
  }
  return [...seen];
}

async function usage(root: string, mount: string): Promise<Filesystem | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), STATFS_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const s = await Promise.race([statfs(under(root, mount)), timeout]);
    if (!s || s.blocks <= 0) return undefined;
    // As df: used over what non-root users could have (used + available), so root's reserve does not hide a full disk.
    const used = s.blocks - s.bfree;
    const usable = used + s.bavail;
    return { mount, used_pct: usable > 0 ? round2((used / usable) * 100) : 0, size_bytes: s.blocks * s.bsize };
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export async function readResourceStats(root = '/', mounts?: string[]): Promise<ResourceStats> {
  const [meminfo, stat, mountsText] = await Promise.all([
    readText(root, '/proc/meminfo'),
    readText(root, '/proc/stat'),
    mounts ? undefined : readText(root, '/proc/mounts'),
  ]);
  const filesystems = await Promise.all((mounts ?? realMounts(mountsText)).map((m) => usage(root, m)));
  return {
    ...memoryStats(meminfo),
    cpu_times: cpuTimes(stat),
    filesystems: filesystems.filter((f): f is Filesystem => f !== undefined),
  };
}
