/** Network interfaces from /sys/class/net, without the loopback. */
import { listDir, readInt, readLinkName, readTrimmed } from './read.js';
import type { NicInfo } from './types.js';

async function readNic(root: string, name: string): Promise<NicInfo> {
  const dir = `/sys/class/net/${name}`;
  const [mac, speed, operstate, driver] = await Promise.all([
    readTrimmed(root, `${dir}/address`),
    // Reading speed fails (EINVAL) on a down or virtual link; -1 means unknown too.
    readInt(root, `${dir}/speed`),
    readTrimmed(root, `${dir}/operstate`),
    // Virtual devices (bridges, bonds, veths) have no device/driver link.
    readLinkName(root, `${dir}/device/driver`),
  ]);
  return {
    name,
    mac: mac ? mac.toLowerCase() : 'unknown',
    speed_mbps: speed !== undefined && speed > 0 ? speed : null,
    link: operstate === 'up' || operstate === 'down' ? operstate : 'unknown',
    driver: driver ?? 'unknown',
  };
}

export async function readNics(root = '/'): Promise<NicInfo[]> {
  const names = (await listDir(root, '/sys/class/net')).filter((n) => n !== 'lo');
  return Promise.all(names.map((n) => readNic(root, n)));
}
