/**
 * A simulated host's inventory, in the agent's real format: two sockets
 * with SMT, two NUMA nodes with hugepages, disks and NICs. Every name says
 * it is simulated, so nobody mistakes the demo's hosts for hardware.
 */
import type { CpuInfo, Inventory } from '../agent/inventory/types.js';
import { SIMULATED_MARK } from './fleet-sim.js';

export function simulatedInventory(personality: 'controller' | 'worker' | 'storage'): Inventory {
  const sockets = 2;
  const coresPerSocket = personality === 'worker' ? 16 : 8;
  const cpus: CpuInfo[] = [];
  const physical = sockets * coresPerSocket;
  // Linux numbering: the first thread of every core, then their SMT siblings.
  for (let thread = 0; thread < 2; thread++) {
    for (let p = 0; p < physical; p++) {
      const id = thread * physical + p;
      const socket = Math.floor(p / coresPerSocket);
      cpus.push({ id, socket, core: p % coresPerSocket, numa_node: socket, siblings: [p, p + physical] });
    }
  }
  const nodeMib = personality === 'worker' ? 98_304 : 49_152;
  return {
    cpu: { model: `${SIMULATED_MARK} Intel(R) Xeon(R) Gold 6338N`, sockets, cores: physical, threads: physical * 2, numa_nodes: 2, cpus },
    memory: {
      total_mib: nodeMib * 2,
      numa: [0, 1].map((node) => ({ node, total_mib: nodeMib, hugepages: { '2M': { total: 1024, free: 1024 - node * 200 }, '1G': { total: personality === 'worker' ? 16 : 0, free: personality === 'worker' ? 12 : 0 } } })),
    },
    disks: [
      { name: 'nvme0n1', size_bytes: 960_197_124_096, rotational: false, model: `${SIMULATED_MARK} NVMe SSD` },
      { name: 'sda', size_bytes: 480_103_981_056, rotational: false, model: `${SIMULATED_MARK} SATA SSD` },
    ],
    nics: [
      { name: 'eno1', mac: '02:00:5e:00:53:01', speed_mbps: 10_000, link: 'up', driver: 'sim-ice' },
      { name: 'eno2', mac: '02:00:5e:00:53:02', speed_mbps: 10_000, link: 'up', driver: 'sim-ice' },
      { name: 'ens1f0', mac: '02:00:5e:00:53:03', speed_mbps: 25_000, link: personality === 'worker' ? 'up' : 'down', driver: 'sim-ice' },
    ],
    kernel: { release: '6.6.0-1-rt-amd64 (simulated)', lowlatency: personality === 'worker', cmdline: 'simulated' },
    os: { name: 'Debian GNU/Linux (simulated)', version: '12' },
  };
}
