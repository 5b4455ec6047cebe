import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LinuxDriver } from '../../src/agent/drivers/linux.js';
import { cpuList, GRUB_DROP_IN, planHostChanges } from '../../src/agent/drivers/linux-plan.js';
import { StateDir } from '../../src/agent/state-dir.js';
import type { HostConfig } from '../../src/resources/hosts/host.types.js';

function fixtureRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'starling-linux-'));
  mkdirSync(join(root, 'boot'));
  for (const k of ['6.1.0-20-amd64', '6.1.0-21-amd64', '6.1.0-21-rt-amd64']) writeFileSync(join(root, 'boot', `vmlinuz-${k}`), '');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\n');
  for (const size of ['hugepages-2048kB', 'hugepages-1048576kB']) {
    mkdirSync(join(root, `sys/devices/system/node/node1/hugepages/${size}`), { recursive: true });
    writeFileSync(join(root, `sys/devices/system/node/node1/hugepages/${size}/nr_hugepages`), '0\n');
  }
  return root;
}

const config: HostConfig = { kernel: 'lowlatency', cpu: { 2: 'application-isolated', 3: 'application-isolated', 6: 'application-isolated', 1: 'platform' }, hugepages: { 1: { '2M': 512, '1G': 4 } } };

describe('linux driver', () => {
  test('cpu lists compress to ranges', () => {
    assert.equal(cpuList([6, 2, 3, 4, 9]), '2-4,6,9');
  });

  test('the plan: live hugepages, isolated CPUs on the kernel command line, the low-latency kernel as the saved default', async () => {
    const root = fixtureRoot();
    const plan = await planHostChanges(config, root);
    const writes = plan.filter((o) => o.kind === 'write');
    assert.deepEqual(
      writes.map((w) => [w.path.slice(root.length), w.kind === 'write' ? w.content.trim().split('\n').pop() : '']),
      [
        ['/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages', '512'],
        ['/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages', '4'],
        [`/${GRUB_DROP_IN}`, 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT isolcpus=2-3,6 nohz_full=2-3,6 rcu_nocbs=2-3,6"'],
      ],
    );
    const runs = plan.flatMap((o) => (o.kind === 'run' ? [o.argv] : []));
    assert.deepEqual(runs, [['grub-set-default', 'Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-21-rt-amd64'], ['update-grub']]);
    const standard = await planHostChanges({ ...config, kernel: 'standard' }, root);
    assert.match(JSON.stringify(standard), /with Linux 6\.1\.0-21-amd64"/);
  });

  test('nothing to do at boot when the running kernel fits and no CPU is isolated', async () => {
    const root = fixtureRoot();
    mkdirSync(join(root, 'proc/sys/kernel'), { recursive: true });
    writeFileSync(join(root, 'proc/sys/kernel/osrelease'), '6.1.0-21-amd64\n');
    assert.deepEqual(await planHostChanges({ kernel: 'standard', cpu: {}, hugepages: {} }, root), []);
    assert.equal((await planHostChanges({ kernel: 'lowlatency', cpu: {}, hugepages: {} }, root)).length, 3, 'switching kernels needs grub');
  });

  test('a kernel that is not installed is an error naming what is', async () => {
    const root = fixtureRoot();
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'boot/vmlinuz-6.1.0-21-rt-amd64'));
    await assert.rejects(planHostChanges(config, root), /no lowlatency kernel is installed .* \(found: 6\.1\.0-20-amd64, 6\.1\.0-21-amd64\)/);
  });

  test('without --allow-host-changes nothing is touched and the plan is recorded', async () => {
    const root = fixtureRoot();
    const state = new StateDir(join(root, 'state'));
    const commands: string[][] = [];
    const driver = new LinuxDriver({ state, allowHostChanges: false, root, runner: async (argv) => void commands.push(argv) });
    const result = await driver.apply(config);
    assert.ok(result.changes.every((c) => c.startsWith('would: ')));
    assert.equal(readFileSync(join(root, 'sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages'), 'utf8'), '0\n');
    assert.equal(existsSync(join(root, GRUB_DROP_IN)), false);
    assert.deepEqual(commands, []);
    const recorded = state.read<{ carried_out: boolean; plan: unknown[] }>('planned-changes.json')!;
    assert.equal(recorded.carried_out, false);
    assert.equal(recorded.plan.length, 5);
    await driver.act('reboot');
    assert.deepEqual(commands, [], 'no reboot either');
  });

  test('with --allow-host-changes the plan is carried out: files written, commands run, reboot', async () => {
    const root = fixtureRoot();
    const commands: string[][] = [];
    const driver = new LinuxDriver({ state: new StateDir(join(root, 'state')), allowHostChanges: true, root, runner: async (argv) => void commands.push(argv) });
    await driver.apply(config);
    assert.equal(readFileSync(join(root, 'sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages'), 'utf8'), '512\n');
    assert.match(readFileSync(join(root, GRUB_DROP_IN), 'utf8'), /isolcpus=2-3,6/);
    assert.deepEqual(commands.map((c) => c[0]), ['grub-set-default', 'update-grub']);
    await driver.act('reboot');
    assert.deepEqual(commands.at(-1), ['systemctl', 'reboot']);
  });
});
