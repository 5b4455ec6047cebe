import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, statfs, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readInventory, readResourceStats } from '../../src/agent/inventory/index.js';
import { parseCpuList } from '../../src/agent/inventory/cpulist.js';
import { readKernel } from '../../src/agent/inventory/kernel.js';
import { readOs } from '../../src/agent/inventory/os.js';
import { cpuTimes, realMounts } from '../../src/agent/inventory/stats.js';

/** A file's text, a symlink's target ({ link }), or an empty directory ({ dir }). */
type Entry = string | { link: string } | { dir: true };

const made: string[] = [];
after(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))));

async function tree(files: Record<string, Entry>): Promise<string> {
  const root = await mkdtemp(join(os.tmpdir(), 'starling-inventory-'));
  made.push(root);
  for (const [p, entry] of Object.entries(files)) {
    const full = join(root, p);
    if (typeof entry === 'object' && 'dir' in entry) {
      await mkdir(full, { recursive: true });
      continue;
    }
    await mkdir(dirname(full), { recursive: true });
    if (typeof entry === 'string') await writeFile(full, entry);
    else await symlink(entry.link, full);
  }
  return root;
}

/**
 * A 2-socket, 2-NUMA-node box with SMT: socket s has cores 0 and 1 (core ids
 * repeat across sockets, as on real Xeons); core c of socket s runs threads
 * 2s+c and 2s+c+4. cpu8 exists but is offline.
 */
function serverTree(): Record<string, Entry> {
  const files: Record<string, Entry> = {
    '/sys/devices/system/cpu/online': '0-7\n',
    '/sys/devices/system/cpu/cpu8/topology/core_id': '0\n',
    '/proc/cpuinfo': [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `processor\t: ${i}\nmodel name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz\n`).join('\n'),
    '/sys/devices/system/node/node0/cpulist': '0-1,4-5\n',
    '/sys/devices/system/node/node1/cpulist': '2-3,6-7\n',
    '/sys/devices/system/node/online': '0-1\n',
    '/proc/meminfo': 'MemTotal:       65536000 kB\nMemFree:        50000000 kB\nMemAvailable:   49152000 kB\nHugePages_Total:    1024\n',
    '/sys/devices/system/node/node0/meminfo': 'Node 0 MemTotal:       32768000 kB\nNode 0 MemFree:        20000000 kB\n',
    '/sys/devices/system/node/node1/meminfo': 'Node 1 MemTotal:       32768000 kB\nNode 1 MemFree:        30000000 kB\n',
    '/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages': '1024\n',
    '/sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages': '1000\n',
    '/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages': '4\n',
    '/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/free_hugepages': '4\n',
    '/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages': '0\n',
    '/sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages': '0\n',
    '/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages': '8\n',
    '/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/free_hugepages': '2\n',
    '/sys/block/sda/size': '1953525168\n',
    '/sys/block/sda/queue/rotational': '1\n',
    '/sys/block/sda/device/model': 'ST1000DM003-1CH1  \n',
    '/sys/block/nvme0n1/size': '1000215216\n',
    '/sys/block/nvme0n1/queue/rotational': '0\n',
    '/sys/block/nvme0n1/device/model': 'Samsung SSD 970 EVO Plus 500GB          \n',
    '/sys/block/md0/size': '100\n',
    '/sys/block/loop0/size': '8\n',
    '/sys/block/dm-0/size': '8\n',
    '/sys/block/sr0/size': '8\n',
    '/sys/block/zram0/size': '8\n',
    '/sys/block/ram0/size': '8\n',
    '/sys/class/net/lo/address': '00:00:00:00:00:00\n',
    '/sys/class/net/eno1/address': '3C:FD:FE:9E:7A:10\n',
    '/sys/class/net/eno1/speed': '10000\n',
    '/sys/class/net/eno1/operstate': 'up\n',
    '/sys/class/net/eno1/device/driver': { link: '../../../../bus/pci/drivers/ixgbe' },
    '/sys/class/net/eno2/address': '3c:fd:fe:9e:7a:11\n',
    '/sys/class/net/eno2/speed': '-1\n',
    '/sys/class/net/eno2/operstate': 'down\n',
    '/sys/class/net/eno2/device/driver': { link: '../../../../bus/pci/drivers/i40e' },
    '/sys/class/net/br0/address': 'aa:bb:cc:dd:ee:ff\n',
    '/sys/class/net/br0/operstate': 'unknown\n',
    '/proc/sys/kernel/osrelease': '5.10.0-6-rt-amd64\n',
    '/proc/sys/kernel/version': '#1 SMP PREEMPT_RT StarlingX Debian 5.10.162-1 (2023-01-23)\n',
    '/proc/cmdline': 'BOOT_IMAGE=/vmlinuz-5.10.0-6-rt-amd64 root=UUID=abc isolcpus=2-3 hugepagesz=1G\n',
    '/etc/os-release': 'PRETTY_NAME="StarlingX 9.0"\nNAME="StarlingX"\nVERSION_ID="9.0"\nVERSION="9.0 (stx)"\n# comment\n',
    '/proc/stat': 'cpu  100 20 30 1000 50 5 5 0 7 0\ncpu0 50 10 15 500 25 2 2 0 3 0\nintr 1 2 3\n',
    '/proc/mounts': [
      '/dev/sda1 / ext4 rw,relatime 0 0',
      'proc /proc proc rw 0 0',
      'tmpfs /run tmpfs rw 0 0',
      'cgroup2 /sys/fs/cgroup cgroup2 rw 0 0',
      '/dev/sdb1 /var/lib\\040data xfs rw 0 0',
      'server:/export /mnt/nfs nfs4 rw 0 0',
      '/dev/sdc1 /missing ext4 rw 0 0',
      '/dev/sda1 / ext4 rw,relatime 0 0',
    ].join('\n'),
    '/var/lib data': { dir: true },
  };
  for (let id = 0; id < 8; id++) {
    const socket = Math.floor((id % 4) / 2);
    const core = id % 2;
    const first = id % 4;
    const dir = `/sys/devices/system/cpu/cpu${id}`;
    files[`${dir}/topology/physical_package_id`] = `${socket}\n`;
    files[`${dir}/topology/core_id`] = `${core}\n`;
    files[`${dir}/topology/thread_siblings_list`] = `${first},${first + 4}\n`;
  }
  return files;
}

describe('inventory readers on fixture trees', () => {
  test('cpu lists: ranges, singles, blanks, garbage', () => {
    assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
    assert.deepEqual(parseCpuList('1,1,0'), [0, 1]);
    assert.deepEqual(parseCpuList('\n'), []);
    assert.equal(parseCpuList(undefined), undefined);
    assert.equal(parseCpuList('abc'), undefined);
    assert.equal(parseCpuList('3-1'), undefined);
    assert.equal(parseCpuList('0-99999999'), undefined, 'a garbage range must not allocate millions of ids');
  });

  test('a 2-socket, 2-NUMA SMT server with hugepages', async () => {
    const root = await tree(serverTree());
    const inv = await readInventory(root);
    assert.notEqual(inv.cpu, 'unknown');
    if (inv.cpu === 'unknown') return;
    assert.equal(inv.cpu.model, 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz');
    assert.deepEqual(
      { sockets: inv.cpu.sockets, cores: inv.cpu.cores, threads: inv.cpu.threads, numa_nodes: inv.cpu.numa_nodes },
      { sockets: 2, cores: 4, threads: 8, numa_nodes: 2 },
    );
    assert.deepEqual(inv.cpu.cpus.map((c) => c.id), [0, 1, 2, 3, 4, 5, 6, 7], 'offline cpu8 is left out');
    assert.deepEqual(inv.cpu.cpus[2], { id: 2, socket: 1, core: 0, numa_node: 1, siblings: [2, 6] });
    assert.deepEqual(inv.cpu.cpus[5], { id: 5, socket: 0, core: 1, numa_node: 0, siblings: [1, 5] });

    assert.deepEqual(inv.memory, {
      total_mib: 64000,
      numa: [
        { node: 0, total_mib: 32000, hugepages: { '2M': { total: 1024, free: 1000 }, '1G': { total: 4, free: 4 } } },
        { node: 1, total_mib: 32000, hugepages: { '2M': { total: 0, free: 0 }, '1G': { total: 8, free: 2 } } },
      ],
    });
    assert.deepEqual(inv.disks, [
      { name: 'md0', size_bytes: 51200, rotational: 'unknown', model: 'unknown' },
      { name: 'nvme0n1', size_bytes: 1000215216 * 512, rotational: false, model: 'Samsung SSD 970 EVO Plus 500GB' },
      { name: 'sda', size_bytes: 1953525168 * 512, rotational: true, model: 'ST1000DM003-1CH1' },
    ]);
    assert.deepEqual(inv.nics, [
      { name: 'br0', mac: 'aa:bb:cc:dd:ee:ff', speed_mbps: null, link: 'unknown', driver: 'unknown' },
      { name: 'eno1', mac: '3c:fd:fe:9e:7a:10', speed_mbps: 10000, link: 'up', driver: 'ixgbe' },
      { name: 'eno2', mac: '3c:fd:fe:9e:7a:11', speed_mbps: null, link: 'down', driver: 'i40e' },
    ]);
    assert.deepEqual(inv.kernel, {
      release: '5.10.0-6-rt-amd64',
      lowlatency: true,
      cmdline: 'BOOT_IMAGE=/vmlinuz-5.10.0-6-rt-amd64 root=UUID=abc isolcpus=2-3 hugepagesz=1G',
    });
    assert.deepEqual(inv.os, { name: 'StarlingX', version: '9.0' });
    assert.deepEqual(await readInventory(root), inv, 'the same tree gives the same inventory (stable hash)');
  });

  test('NUMA nodes from cpuN/nodeM entries when node cpulists are missing', async () => {
    const root = await tree({
      '/sys/devices/system/cpu/cpu0/topology/core_id': '0',
      '/sys/devices/system/cpu/cpu0/node0': { dir: true },
      '/sys/devices/system/cpu/cpu1/topology/core_id': '1',
      '/sys/devices/system/cpu/cpu1/node3': { dir: true },
    });
    const inv = await readInventory(root);
    assert.ok(inv.cpu !== 'unknown');
    assert.deepEqual(inv.cpu.cpus.map((c) => c.numa_node), [0, 3]);
    assert.equal(inv.cpu.numa_nodes, 2);
    assert.deepEqual(inv.cpu.cpus.map((c) => c.siblings), [[0], [1]], 'without sibling lists, siblings are CPUs on the same core');
  });

  test('resource stats: memory, cpu times, real filesystems', async () => {
    const root = await tree(serverTree());
    const stats = await readResourceStats(root);
    assert.equal(stats.memory_available_mib, 48000);
    assert.equal(stats.memory_used_pct, 25);
    assert.deepEqual(stats.cpu_times, { busy: 160, total: 1210 });
    assert.deepEqual(stats.filesystems.map((f) => f.mount), ['/', '/var/lib data'], 'pseudo, network, missing and repeated mounts are left out');
    const s = await statfs(root);
    for (const fs of stats.filesystems) {
      assert.equal(fs.size_bytes, s.blocks * s.bsize);
      assert.ok(fs.used_pct >= 0 && fs.used_pct <= 100, String(fs.used_pct));
    }
    const asked = await readResourceStats(root, ['/var/lib data', '/nope']);
    assert.deepEqual(asked.filesystems.map((f) => f.mount), ['/var/lib data']);
  });

  test('mount and cpu-time parsing', () => {
    assert.deepEqual(realMounts('overlay / overlay rw 0 0\nshm /dev/shm tmpfs rw 0 0\n/dev/vdb /srv/my\\040disk ext4 rw 0 0\n\ngarbage\n'), ['/', '/srv/my disk']);
    assert.deepEqual(cpuTimes('cpu  1 2 3 4\n'), { busy: 6, total: 10 });
    assert.equal(cpuTimes('cpu0 1 2 3 4\n'), 'unknown');
    assert.equal(cpuTimes('cpu  1 2 x 4\n'), 'unknown');
  });

  test('an empty tree (or none at all) is all unknown and empty, without throwing', async () => {
    const empty = await tree({});
    for (const root of [empty, join(empty, 'does-not-exist')]) {
      assert.deepEqual(await readInventory(root), {
        cpu: 'unknown',
        memory: { total_mib: 'unknown', numa: [] },
        disks: [],
        nics: [],
        kernel: { release: 'unknown', lowlatency: 'unknown', cmdline: 'unknown' },
        os: { name: 'unknown', version: 'unknown' },
      });
      assert.deepEqual(await readResourceStats(root), { memory_available_mib: 'unknown', memory_used_pct: 'unknown', cpu_times: 'unknown', filesystems: [] });
    }
  });

  test('a container: /proc but little of /sys', async () => {
    const root = await tree({
      '/proc/cpuinfo': 'processor\t: 0\nmodel name\t: AMD EPYC 7763\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7763\n',
      '/proc/meminfo': 'MemTotal:        8192000 kB\nMemFree:  1000 kB\n',
      '/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages': '16\n',
      '/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages': '12\n',
      '/sys/class/net/eth0/address': '02:42:ac:11:00:02\n',
      '/sys/class/net/eth0/operstate': 'up\n',
      '/sys/class/net/lo/operstate': 'unknown\n',
      '/usr/lib/os-release': "NAME='Alpine Linux'\nVERSION_ID=3.19.1\n",
    });
    const inv = await readInventory(root);
    assert.deepEqual(inv.cpu, {
      model: 'AMD EPYC 7763',
      sockets: 1,
      cores: 2,
      threads: 2,
      numa_nodes: 1,
      cpus: [
        { id: 0, socket: 0, core: 0, numa_node: 0, siblings: [0] },
        { id: 1, socket: 0, core: 1, numa_node: 0, siblings: [1] },
      ],
    });
    assert.deepEqual(inv.memory, { total_mib: 8000, numa: [{ node: 0, total_mib: 8000, hugepages: { '2M': { total: 16, free: 12 }, '1G': { total: 0, free: 0 } } }] });
    assert.deepEqual(inv.nics, [{ name: 'eth0', mac: '02:42:ac:11:00:02', speed_mbps: null, link: 'up', driver: 'unknown' }]);
    assert.deepEqual(inv.os, { name: 'Alpine Linux', version: '3.19.1' });
    const stats = await readResourceStats(root);
    assert.equal(stats.memory_available_mib, 'unknown', 'no MemAvailable line');
  });

  test('garbage in numeric files degrades, never throws', async () => {
    const root = await tree({
      '/sys/devices/system/cpu/online': 'abc',
      '/sys/devices/system/cpu/cpu0/topology/physical_package_id': 'abc',
      '/sys/devices/system/cpu/cpu0/topology/core_id': '',
      '/sys/devices/system/cpu/cpu0/topology/thread_siblings_list': 'abc',
      '/sys/devices/system/cpu/cpu1/topology/physical_package_id': '-1',
      '/sys/devices/system/cpu/cpu1/topology/core_id': '12abc',
      '/sys/devices/system/cpu/cpu1/topology/thread_siblings_list': '1-0',
      '/sys/devices/system/node/node0/cpulist': 'abc',
      '/sys/devices/system/node/node0/meminfo': 'abc',
      '/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages': 'abc',
      '/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/free_hugepages': '-5',
      '/proc/meminfo': 'MemTotal: abc kB\nMemAvailable: lots\n',
      '/proc/cpuinfo': '\0\0\0',
      '/proc/stat': 'cpu abc\n',
      '/proc/mounts': 'abc',
      '/sys/block/sda/size': 'abc',
      '/sys/block/sda/queue/rotational': '2',
      '/sys/block/sda/device/model': '   \n',
      '/sys/class/net/eth0/address': '',
      '/sys/class/net/eth0/speed': 'abc',
      '/sys/class/net/eth0/operstate': 'dormant',
      '/proc/sys/kernel/osrelease': '',
      '/etc/os-release': 'abc\n=\nNAME=\n',
    });
    const inv = await readInventory(root);
    assert.deepEqual(inv.cpu, {
      model: 'unknown',
      sockets: 1,
      cores: 2,
      threads: 2,
      numa_nodes: 1,
      cpus: [
        { id: 0, socket: 0, core: 0, numa_node: 0, siblings: [0] },
        { id: 1, socket: 0, core: 1, numa_node: 0, siblings: [1] },
      ],
    });
    assert.deepEqual(inv.memory, { total_mib: 'unknown', numa: [{ node: 0, total_mib: 0, hugepages: { '2M': { total: 0, free: 0 }, '1G': { total: 0, free: 0 } } }] });
    assert.deepEqual(inv.disks, [{ name: 'sda', size_bytes: 'unknown', rotational: 'unknown', model: 'unknown' }]);
    assert.deepEqual(inv.nics, [{ name: 'eth0', mac: 'unknown', speed_mbps: null, link: 'unknown', driver: 'unknown' }]);
    assert.deepEqual(inv.kernel, { release: 'unknown', lowlatency: 'unknown', cmdline: 'unknown' });
    assert.deepEqual(inv.os, { name: 'unknown', version: 'unknown' });
    assert.deepEqual(await readResourceStats(root), { memory_available_mib: 'unknown', memory_used_pct: 'unknown', cpu_times: 'unknown', filesystems: [] });
  });

  test('lowlatency: StarlingX release names, PREEMPT_RT, /sys/kernel/realtime; unknown without the version', async () => {
    const kernel = async (files: Record<string, string>) => (await readKernel(await tree(files))).lowlatency;
    const std = '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1';
    assert.equal(await kernel({ '/proc/sys/kernel/osrelease': '6.1.0-18-amd64', '/proc/sys/kernel/version': std }), false);
    assert.equal(await kernel({ '/proc/sys/kernel/osrelease': '4.18.0-smartnic', '/proc/sys/kernel/version': std }), false, '"rt" inside a word is not rt');
    assert.equal(await kernel({ '/proc/sys/kernel/osrelease': '3.10.0-1127.rt56.1093.el7.tis.2.x86_64' }), true);
    assert.equal(await kernel({ '/proc/sys/kernel/osrelease': '5.10.0-6-rt-amd64' }), true);
    assert.equal(await kernel({ '/proc/sys/kernel/osrelease': '6.1.0-18-amd64', '/proc/sys/kernel/version': '#1 SMP PREEMPT_RT Debian' }), true);
    assert.equal(await kernel({ '/proc/sys/kernel/osrelease': '6.1.0-18-amd64', '/sys/kernel/realtime': '1\n' }), true);
    assert.equal(await kernel({ '/proc/sys/kernel/osrelease': '6.1.0-18-amd64' }), 'unknown');
  });

  test('os-release: VERSION when there is no VERSION_ID, escapes in quotes', async () => {
    const root = await tree({ '/etc/os-release': 'NAME="Wind \\"River\\" Linux"\nVERSION="LTS 22"\n' });
    assert.deepEqual(await readOs(root), { name: 'Wind "River" Linux', version: 'LTS 22' });
  });
});

describe('inventory on this machine', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  test('readInventory("/") agrees with node:os', async () => {
    const started = performance.now();
    const inv = await readInventory('/');
    const ms = performance.now() - started;
    assert.ok(inv.cpu !== 'unknown', 'CPUs are known');
    assert.ok(inv.cpu.cpus.some((c) => c.siblings.includes(c.id)));
    assert.ok(inv.cpu.cpus.every((c) => c.siblings.includes(c.id)));
    assert.equal(inv.cpu.threads, os.cpus().length);
    assert.ok(inv.memory.total_mib !== 'unknown');
    const mib = os.totalmem() / 2 ** 20;
    assert.ok(Math.abs(inv.memory.total_mib - mib) <= mib * 0.05, `${inv.memory.total_mib} MiB vs os.totalmem() ${mib} MiB`);
    const stats = await readResourceStats('/');
    assert.ok(stats.cpu_times !== 'unknown' && stats.cpu_times.total > 0);
    console.log(`readInventory('/') took ${ms.toFixed(1)} ms`);
  });
});
