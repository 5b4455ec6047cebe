import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { DeployRelease, FetchBlob } from '../../src/agent/deploy/deployer.js';
import { DirDeployer } from '../../src/agent/deploy/dir-deployer.js';
import { writeDurably } from '../../src/core/durable-file.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A release from path → content; blobs are served from memory. */
function release(id: string, files: Record<string, string>, healthCheck: string | null = null): { release: DeployRelease; blobs: Map<string, string> } {
  const blobs = new Map<string, string>();
  const list = Object.entries(files).map(([path, content]) => {
    blobs.set(sha(content), content);
    return { path, sha256: sha(content), size: Buffer.byteLength(content), executable: path.endsWith('.sh') };
  });
  return { release: { id, files: list, health_check: healthCheck }, blobs };
}

const fetchFrom = (blobs: Map<string, string>, fetched: string[] = []): FetchBlob => async (file, dest) => {
  fetched.push(file.sha256);
  await writeFile(dest, blobs.get(file.sha256)!);
};

describe('dir deployer: A/B deployments on disk', () => {
  let root: string;
  let d: DirDeployer;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'dir-deployer-'));
    d = new DirDeployer(root, 5000);
    await d.open();
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const good = release('rel-1', { 'bin/app': 'one\n', 'bin/health.sh': '#!/bin/sh\ngrep -q one bin/app\n' }, 'bin/health.sh');
  const good2 = release('rel-2', { 'bin/app': 'two\n', 'bin/health.sh': '#!/bin/sh\ngrep -q two bin/app\n' }, 'bin/health.sh');
  const sick = release('rel-3', { 'bin/app': 'three\n', 'bin/health.sh': '#!/bin/sh\necho "service widget failed to start" >&2\nexit 3\n' }, 'bin/health.sh');

  test('stage, switch, health check: the host runs the new tree and keeps the previous', async () => {
    await d.stage(good.release, fetchFrom(good.blobs));
    let out = await d.activate(good.release);
    assert.deepEqual([out.ok, out.running, out.previous], [true, 'rel-1', null]);
    assert.equal(await readFile(join(root, 'current', 'bin', 'app'), 'utf8'), 'one\n');
    await d.stage(good2.release, fetchFrom(good2.blobs));
    out = await d.activate(good2.release);
    assert.deepEqual([out.ok, out.running, out.previous], [true, 'rel-2', 'rel-1']);
    assert.equal(await readFile(join(root, 'current', 'bin', 'app'), 'utf8'), 'two\n');
    assert.equal(await d.linked(), 'rel-2');
    assert.deepEqual((await readdir(join(root, 'deployments'))).sort(), ['rel-1', 'rel-2']);
    assert.deepEqual(await readdir(join(root, 'blobs')), [], 'downloads are dropped once assembled');
  });

  test('staging twice fetches nothing the second time', async () => {
    const fetched: string[] = [];
    await d.stage(good.release, fetchFrom(good.blobs, fetched));
    await d.stage(good.release, fetchFrom(good.blobs, fetched));
    assert.equal(fetched.length, 2);
  });

  test('a failing health check switches back on its own and says why', async () => {
    await d.stage(good.release, fetchFrom(good.blobs));
    await d.activate(good.release);
    await d.stage(sick.release, fetchFrom(sick.blobs));
    const out = await d.activate(sick.release);
    assert.equal(out.ok, false);
    assert.equal(out.running, 'rel-1');
    assert.match(out.evidence!, /health check bin\/health\.sh of rel-3 exited with code 3/);
    assert.match(out.evidence!, /service widget failed to start/);
    assert.match(out.evidence!, /rolled back to rel-1/);
    assert.equal(await readFile(join(root, 'current', 'bin', 'app'), 'utf8'), 'one\n');
  });

  test('a health check that hangs counts as failed', async () => {
    const slow = release('rel-4', { 'bin/health.sh': '#!/bin/sh\nsleep 30\n' }, 'bin/health.sh');
    const quick = new DirDeployer(root, 300);
    await quick.open();
    await quick.stage(slow.release, fetchFrom(slow.blobs));
    const out = await quick.activate(slow.release);
    assert.equal(out.ok, false);
    assert.match(out.evidence!, /did not finish within 0\.3 s/);
    assert.equal(await quick.linked(), null, 'back on the base install');
  });

  test('a switch interrupted before its health check passed is undone at the next start', async () => {
    await d.stage(good.release, fetchFrom(good.blobs));
    await d.activate(good.release);
    await d.stage(good2.release, fetchFrom(good2.blobs));
    // As if the agent died right after switching the link.
    writeDurably(join(root, 'state.json'), JSON.stringify({ running: 'rel-1', previous: null, switching: { to: 'rel-2', from: 'rel-1' } }));
    const { symlink, rename } = await import('node:fs/promises');
    await symlink('deployments/rel-2', join(root, 'current.x'));
    await rename(join(root, 'current.x'), join(root, 'current'));
    const again = new DirDeployer(root);
    const opened = await again.open();
    assert.match(opened.recovered!, /switch to rel-2 was interrupted before its health check passed; back on rel-1/);
    assert.equal(opened.running, 'rel-1');
    assert.equal(await again.linked(), 'rel-1');
  });

  test('rollback returns to the previous deployment', async () => {
    await d.stage(good.release, fetchFrom(good.blobs));
    await d.activate(good.release);
    await d.stage(good2.release, fetchFrom(good2.blobs));
    await d.activate(good2.release);
    const out = await d.rollback();
    assert.deepEqual([out.running, out.previous], ['rel-1', 'rel-2']);
    assert.equal(await readFile(join(root, 'current', 'bin', 'app'), 'utf8'), 'one\n');
  });
});
