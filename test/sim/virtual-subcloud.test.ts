import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualSubcloud } from '../../src/sim/virtual-subcloud.js';
import { seededRandom } from '../../src/sim/wan/random.js';

const run = (seed: string) => {
  const site = new VirtualSubcloud('sim-00001', 2, seededRandom(seed).fork('site'));
  for (let i = 0; i < 50; i++) site.churn();
  return site;
};

describe('virtual subcloud', () => {
  test('the same seed gives the same alarms; another seed does not', async () => {
    const [a, b, c] = [run('7'), run('7'), run('8')];
    const ops = async (s: VirtualSubcloud) => (await s.opsAfter(0, 100)).ops.map((o) => `${o.op.kind} ${o.op.alarm_id} ${o.op.entity_instance_id}`);
    assert.deepEqual(await ops(a), await ops(b));
    assert.notDeepEqual(await ops(a), await ops(c));
    assert.equal((await a.snapshot()).alarms.length, a.activeAlarms);
    assert.equal((await a.snapshot()).up_to_seq, 50);
  });

  test('changes pruned before delivery are reported as a gap (a snapshot is due)', async () => {
    const site = new VirtualSubcloud('sim-00002', 1, seededRandom(1));
    for (let i = 0; i < 2100; i++) site.raise({ alarm_id: '100.101', entity_instance_id: `host=controller-0.n=${i % 3}`, severity: 'major', reason_text: 'cpu' });
    assert.equal((await site.opsAfter(0, 10)).gap, true);
    const recent = await site.opsAfter(2095, 10);
    assert.deepEqual([recent.gap, recent.ops.length], [false, 5]);
  });

  test('synced content is checked before it is applied, and the applied hash follows it', async () => {
    const site = new VirtualSubcloud('sim-00003', 1, seededRandom(1));
    const before = (await site.status()).endpoints.platform;
    await assert.rejects(site.apply('platform', { dns_servers: 'nope' }), /platform content .* not valid/);
    await site.apply('platform', { dns_servers: ['10.0.0.53'], ntp_servers: [], ca_bundle: '', release_keys: [] });
    assert.notEqual((await site.status()).endpoints.platform, before);
    await assert.rejects(site.apply('nonsense', {}), /unknown sync endpoint/);
  });
});
