/** Block devices from /sys/block, without loop, RAM, zram, device-mapper, optical and floppy devices. */
import { listDir, readInt, readTrimmed } from './read.js';
import type { DiskInfo } from './types.js';

const SKIPPED = /^(loop|ram|zram|dm-|sr|fd)/;

async function readDisk(root: string, name: string): Promise<DiskInfo> {
  const dir = `/sys/block/${name}`;
  const [sectors, rotational, model] = await Promise.all([
    readInt(root, `${dir}/size`),
    readInt(root, `${dir}/queue/rotational`),
    readTrimmed(root, `${dir}/device/model`),
  ]);
  return {
    name,
    // The size file counts 512-byte sectors whatever the device's block size.
    size_bytes: sectors !== undefined && sectors >= 0 ? sectors * 512 : 'unknown',
    rotational: rotational === 1 ? true : rotational === 0 ? false : 'unknown',
    model: model ?? 'unknown',
  };
}

export async function readDisks(root = '/'): Promise<DiskInfo[]> {
  const names = (await listDir(root, '/sys/block')).filter((n) => !SKIPPED.test(n));
  return Promise.all(names.map((n) => readDisk(root, n)));
}
