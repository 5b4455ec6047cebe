/**
 * A subcloud's first report after its link failed is a short exchange that
 * may wait long for its answer, not a long poll: 10,000 subclouds returning
 * at once queue at their system controller, and a long poll's hold on top of
 * that queue timed hundreds out although they had been heard (bench:dc's
 * storm tail). A real system controller over HTTPS, a simulated subcloud
 * (the fleet simulator's, with the product's uplink) behind a WAN link that
 * is cut and restored; JsonClient.post is watched to see what each report
 * asked for.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { JsonClient } from '../../src/agent/http.js';
import { durations } from '../../src/core/durations.js';
import { FleetSimulator } from '../../src/sim/fleet-sim.js';
import { PROFILES } from '../../src/sim/wan/index.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../helpers/backends.js';

const until = async (what: string, pred: () => boolean, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describeEachBackend('a subcloud returning after a failed link', (_ctx, dialect) => {
  let database: TestDatabase;
  let api: TestApi;
  let sim: FleetSimulator;
  const reports: Array<{ wait_ms: number; timeoutMs: number }> = [];
  const post = JsonClient.prototype.post;

  before(async () => {
    JsonClient.prototype.post = function (this: JsonClient, path, body, options) {
      if (path === '/api/v1/dc/report') reports.push({ wait_ms: (body as { wait_ms: number }).wait_ms, timeoutMs: options.timeoutMs });
      return post.call(this, path, body, options);
    } as typeof post;
    database = await createTestDatabase(dialect);
    api = await createTestApi(database, { reportIntervalMs: 1000, siteRole: 'systemcontroller', https: true });
    const url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    sim = new FleetSimulator({ controller: url, token: api.tokens.admin, ca: api.caPem!, subclouds: 1, hostsPerSubcloud: 1, profile: PROFILES.lan, seed: 'returning', prefix: 'ret', alarmChurnPerHour: 0, backoff: { baseMs: 50, capMs: 200 } });
    await sim.start();
  });

  after(async () => {
    JsonClient.prototype.post = post;
    await sim?.stop();
    await api?.close();
    await database?.close();
  });

  test('the first report after a failure is answered at once and may wait long; the next is a long poll again', async () => {
    const uplink = sim.sites[0]!.uplink;
    // Enrolled: a short first report, then long polls of the interval the system controller gave.
    await until('a long poll', () => reports.some((r) => r.wait_ms === 1000));
    assert.deepEqual(reports[0], { wait_ms: 0, timeoutMs: durations.subcloudReturnTimeoutMs }, 'the first report after enrolling');

    sim.cut(1);
    await until('the cut noticed', () => uplink.failures > 0);
    const from = reports.length;
    sim.restore();
    await until('reporting again', () => uplink.failures === 0 && reports.slice(from).some((r) => r.wait_ms === 1000));
    const after = reports.slice(from);
    assert.deepEqual(after[0], { wait_ms: 0, timeoutMs: durations.subcloudReturnTimeoutMs }, 'the first report after the link returned');
    const poll = after.find((r) => r.wait_ms > 0)!;
    assert.deepEqual(poll, { wait_ms: 1000, timeoutMs: 1000 + durations.agentRequestMarginMs }, 'then long polls, with the usual margin');
  });
});
