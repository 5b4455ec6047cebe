/**
 * The host agent's view of its machine. Inventory is stable hardware and
 * software facts (hashed and sent when it changes); ResourceStats are volatile
 * figures. Anything that cannot be read is 'unknown' (or omitted from a list),
 * never an error.
 */
export type Unknown = 'unknown';

/** A logical CPU; siblings = SMT thread ids sharing its physical core (incl. itself), sorted. */
export interface CpuInfo { id: number; socket: number; core: number; numa_node: number; siblings: number[] }
export interface CpuInventory { model: string | Unknown; sockets: number; cores: number; threads: number; numa_nodes: number; cpus: CpuInfo[] }

export interface HugepageCounts { total: number; free: number }
/** Per NUMA node; figures that cannot be read are 0. */
export interface NumaMemory { node: number; total_mib: number; hugepages: { '2M': HugepageCounts; '1G': HugepageCounts } }
export interface MemoryInventory { total_mib: number | Unknown; numa: NumaMemory[] }

export interface DiskInfo { name: string; size_bytes: number | Unknown; rotational: boolean | Unknown; model: string | Unknown }
export interface NicInfo { name: string; mac: string | Unknown; speed_mbps: number | null; link: 'up' | 'down' | Unknown; driver: string | Unknown }
export interface KernelInfo { release: string | Unknown; lowlatency: boolean | Unknown; cmdline: string | Unknown }
export interface OsInfo { name: string | Unknown; version: string | Unknown }

export interface Inventory { cpu: CpuInventory | Unknown; memory: MemoryInventory; disks: DiskInfo[]; nics: NicInfo[]; kernel: KernelInfo; os: OsInfo }

/** Volatile figures, read often, sent rarely: not part of the inventory's hash. */
export interface ResourceStats {
  memory_available_mib: number | Unknown;
  memory_used_pct: number | Unknown;
  cpu_times: { busy: number; total: number } | Unknown;
  filesystems: Array<{ mount: string; used_pct: number; size_bytes: number }>;
}
