/**
 * The running kernel. "lowlatency" is StarlingX's name for the real-time
 * (PREEMPT_RT) kernel: a release like 5.10.0-6-rt-amd64 or ...rt24...tis, a
 * version string naming PREEMPT_RT, or /sys/kernel/realtime = 1.
 */
import { readTrimmed } from './read.js';
import type { KernelInfo } from './types.js';

const RT_RELEASE = /(?:^|[-.+_])rt\d*(?:[-.+_]|$)/;
const RT_VERSION = /\bPREEMPT_RT\b|\bPREEMPT RT\b/;

export async function readKernel(root = '/'): Promise<KernelInfo> {
  const [release, version, realtime, cmdline] = await Promise.all([
    readTrimmed(root, '/proc/sys/kernel/osrelease'),
    readTrimmed(root, '/proc/sys/kernel/version'),
    readTrimmed(root, '/sys/kernel/realtime'),
    readTrimmed(root, '/proc/cmdline'),
  ]);
  const rt = (release !== undefined && RT_RELEASE.test(release)) || (version !== undefined && RT_VERSION.test(version)) || realtime === '1';
  return {
    release: release ?? 'unknown',
    lowlatency: rt ? true : version !== undefined ? false : 'unknown',
    cmdline: cmdline ?? 'unknown',
  };
}
