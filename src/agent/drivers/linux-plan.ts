/**
 * What applying a host configuration means on Debian-family Linux, as a list
 * of concrete operations (pure: built from the configuration and a look at
 * /boot), so that it can be shown, recorded, tested and only then run.
 * - hugepages: written live to /sys/devices/system/node/nodeN/hugepages/*.
 * - CPU isolation: application-isolated CPUs go to isolcpus, nohz_full and
 *   rcu_nocbs on the kernel command line, through a grub drop-in; a reboot
 *   applies them.
 * - kernel: the standard or low-latency (-rt) kernel becomes grub's saved
 *   default; a reboot applies it.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostConfig } from '../../resources/hosts/host.types.js';

export type HostOperation =
  | { kind: 'write'; path: string; content: string; why: string }
  | { kind: 'run'; argv: string[]; why: string };

export const GRUB_DROP_IN = 'etc/default/grub.d/starling.cfg';

/** Compresses CPU ids into "1-3,6". */
export function cpuList(ids: number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Installed kernel versions from /boot/vmlinuz-*, newest last. */
export async function installedKernels(root: string): Promise<string[]> {
  try {
    return (await readdir(join(root, 'boot')))
      .filter((f) => f.startsWith('vmlinuz-'))
      .map((f) => f.slice('vmlinuz-'.length))
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  } catch {
    return [];
  }
}

export const isLowLatencyKernel = (version: string): boolean => /(^|-)rt(-|$)/.test(version);

export async function planHostChanges(config: HostConfig, root: string, osName = 'Debian GNU/Linux'): Promise<HostOperation[]> {
  const ops: HostOperation[] = [];
  for (const [node, pages] of Object.entries(config.hugepages)) {
    for (const [size, dir] of [['2M', 'hugepages-2048kB'], ['1G', 'hugepages-1048576kB']] as const) {
      ops.push({
        kind: 'write',
        path: join(root, `sys/devices/system/node/node${node}/hugepages/${dir}/nr_hugepages`),
        content: `${pages[size]}\n`,
        why: `${pages[size]} x ${size} hugepages on NUMA node ${node}`,
      });
    }
  }

  const isolated = Object.entries(config.cpu).filter(([, fn]) => fn === 'application-isolated').map(([id]) => Number(id));
  // Grub is touched only when the boot must change: isolated CPUs, a kernel
  // of the other type than the running one, or an earlier drop-in to update.
  const running = (await readFile(join(root, 'proc/sys/kernel/osrelease'), 'utf8').catch(() => '')).trim();
  const hasDropIn = await access(join(root, GRUB_DROP_IN)).then(() => true, () => false);
  const kernelMatches = running !== '' && isLowLatencyKernel(running) === (config.kernel === 'lowlatency');
  if (isolated.length === 0 && kernelMatches && !hasDropIn) return ops;
  const kernels = await installedKernels(root);
  const wanted = kernels.filter((k) => isLowLatencyKernel(k) === (config.kernel === 'lowlatency')).at(-1);
  if (!wanted) throw new Error(`no ${config.kernel} kernel is installed in ${join(root, 'boot')} (found: ${kernels.join(', ') || 'none'})`);
  const args = isolated.length ? ` isolcpus=${cpuList(isolated)} nohz_full=${cpuList(isolated)} rcu_nocbs=${cpuList(isolated)}` : '';
  ops.push({
    kind: 'write',
    path: join(root, GRUB_DROP_IN),
    content: [
      '# Written by the Starling agent: the kernel and CPU isolation this host is configured with.',
      'GRUB_DEFAULT=saved',
      `GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT${args}"`,
      '',
    ].join('\n'),
    why: isolated.length ? `isolate CPUs ${cpuList(isolated)} for applications` : 'no isolated CPUs',
  });
  ops.push({ kind: 'run', argv: ['grub-set-default', `Advanced options for ${osName}>${osName}, with Linux ${wanted}`], why: `boot the ${config.kernel} kernel ${wanted}` });
  ops.push({ kind: 'run', argv: ['update-grub'], why: 'regenerate the boot menu' });
  return ops;
}
