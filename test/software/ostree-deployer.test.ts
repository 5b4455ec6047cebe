/**
 * The ostree deployer against the real `ostree` command (CI installs it).
 * Without it these tests are skipped, and say so.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { DeployRelease, FetchBlob } from '../../src/agent/deploy/deployer.js';
import { OstreeDeployer, ostreeVersion } from '../../src/agent/deploy/ostree-deployer.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const version = await ostreeVersion();
const skip = version ? false : 'ostree is not installed here (apt-get install ostree; .ci/run installs it): the ostree deployer is not tested';

function release(id: string, files: Record<string, string>, healthCheck: string | null = null): { release: DeployRelease; fetch: FetchBlob } {
  const blobs = new Map<string, string>();
  const list = Object.entries(files).map(([path, content]) => {
    blobs.set(sha(content), content);
    return { path, sha256: sha(content), size: Buffer.byteLength(content), executable: path.endsWith('.sh') };
  });
  return { release: { id, files: list, health_check: healthCheck }, fetch: async (file, dest) => writeFile(dest, blobs.get(file.sha256)!) };
}

describe(`ostree deployer: releases as OSTree commits, deployments as checkouts (ostree ${version ?? 'not installed'})`, { skip }, () => {
  let root: string;
  let d: OstreeDeployer;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ostree-deployer-'));
    d = new OstreeDeployer(root, 5000);
    await d.open();
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const shared = 'libshared 1.0\n'.repeat(100);
  const one = release('rel-1', { 'bin/app': 'one\n', 'lib/shared.so': shared, 'bin/health.sh': '#!/bin/sh\ngrep -q one bin/app\n' }, 'bin/health.sh');
  const two = release('rel-2', { 'bin/app': 'two\n', 'lib/shared.so': shared, 'bin/health.sh': '#!/bin/sh\ngrep -q two bin/app\n' }, 'bin/health.sh');
  const sick = release('rel-3', { 'bin/app': 'three\n', 'bin/health.sh': '#!/bin/sh\necho "radio unit did not answer" >&2\nexit 2\n' }, 'bin/health.sh');

  test('each release is a commit on its own ref; the host switches to a checkout of it and keeps the previous', async () => {
    await d.stage(one.release, one.fetch);
    assert.match((await d.commitOf('rel-1'))!, /^[0-9a-f]{64}$/);
    let out = await d.activate(one.release);
    assert.deepEqual([out.ok, out.running, out.previous], [true, 'rel-1', null]);
    await d.stage(two.release, two.fetch);
    out = await d.activate(two.release);
    assert.deepEqual([out.ok, out.running, out.previous], [true, 'rel-2', 'rel-1']);
    assert.equal(await readFile(join(root, 'current', 'bin', 'app'), 'utf8'), 'two\n');
    assert.equal((await stat(join(root, 'current', 'bin', 'health.sh'))).mode & 0o111, 0o111, 'executable bits come through the commit');
    // The checkout of rel-2 is what its ref holds, verified by ostree itself.
    const listed = execFileSync('ostree', ['ls', `--repo=${d.repo}`, '-R', 'starling/rel-2'], { encoding: 'utf8' });
    assert.match(listed, /\/bin\/app/);
    const refs = execFileSync('ostree', ['refs', `--repo=${d.repo}`], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(refs, ['starling/rel-1', 'starling/rel-2']);
  });

  test('a failed health check switches back by itself; releases no longer kept lose their ref and tree', async () => {
    for (const r of [one, two]) {
      await d.stage(r.release, r.fetch);
      await d.activate(r.release);
    }
    await d.stage(sick.release, sick.fetch);
    const out = await d.activate(sick.release);
    assert.equal(out.ok, false);
    assert.match(out.evidence!, /radio unit did not answer/);
    assert.deepEqual([out.running, out.previous], ['rel-2', 'rel-1']);
    assert.equal(await readFile(join(root, 'current', 'bin', 'app'), 'utf8'), 'two\n');

    const three = release('rel-4', { 'bin/app': 'four\n' });
    await d.stage(three.release, three.fetch);
    await d.activate(three.release);
    assert.deepEqual((await readdir(join(root, 'deployments'))).sort(), ['rel-2', 'rel-4']);
    assert.equal(await d.commitOf('rel-1'), undefined, 'its ref is gone');
    const back = await d.rollback();
    assert.deepEqual([back.running, back.previous], ['rel-2', 'rel-4']);
    assert.equal(await readFile(join(root, 'current', 'bin', 'app'), 'utf8'), 'two\n');
  });
});
