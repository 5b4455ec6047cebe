import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SimDeployer } from '../../src/agent/deploy/sim-deployer.js';

describe('sim deployer (the fleet simulator and tests)', () => {
  const rel = (id: string, health_check: string | null = null) => ({ id, files: [], health_check });

  test('switches to a staged release and back; a release must be staged first', async () => {
    const d = new SimDeployer();
    await assert.rejects(d.activate(rel('r-1')), /not staged/);
    await d.stage(rel('r-1'));
    assert.deepEqual(await d.activate(rel('r-1')), { ok: true, running: 'r-1', previous: null });
    await d.stage(rel('r-2'));
    await d.activate(rel('r-2'));
    assert.deepEqual(await d.rollback(), { ok: true, running: 'r-1', previous: 'r-2' });
  });

  test('a failing health check leaves the host on what it ran, with the reason', async () => {
    const d = new SimDeployer(new Set(['bad-1']));
    await d.stage(rel('r-1'));
    await d.activate(rel('r-1'));
    for (const r of [rel('bad-1'), rel('bad-2', 'bin/fail')]) {
      await d.stage(r);
      const out = await d.activate(r);
      assert.equal(out.ok, false);
      assert.equal(out.running, 'r-1');
      assert.match(out.evidence!, new RegExp(`${r.id} failed \\[simulated\\]\\nrolled back to r-1`));
    }
  });
});
