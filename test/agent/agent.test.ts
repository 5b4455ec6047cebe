import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HostAgent } from '../../src/agent/agent.js';
import { SimDriver } from '../../src/agent/drivers/sim.js';
import { silentLogger } from '../../src/core/logging.js';
import { createTestDatabase, type TestDatabase } from '../helpers/backends.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { Link } from '../helpers/link.js';

const until = async (what: string, pred: () => Promise<boolean> | boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
};

describe('host agent against a live controller', () => {
  let database: TestDatabase;
  let api: TestApi;
  let link: Link;
  const stateDir = mkdtempSync(join(tmpdir(), 'starling-agent-'));
  const agents: HostAgent[] = [];
  const makeAgent = (enrollToken?: string) => {
    const agent = new HostAgent({
      controller: link.url,
      hostname: 'controller-0',
      stateDir,
      ...(enrollToken ? { enrollToken } : {}),
      driver: new SimDriver(),
      inventory: async () => ({ cpu: 'unknown', memory: { total_mib: 2048, numa: [] }, disks: [], nics: [], kernel: {}, os: {} }),
      log: silentLogger(),
      random: () => 0.05, // short, still jittered, retries
    });
    agents.push(agent);
    return agent;
  };
  const host = async () => (await api.request('reader', 'GET', '/api/v1/hosts/controller-0')).body;
  // Resource alarms only: the host also carries 200.001 while locked.
  const alarms = async () => (await api.request('reader', 'GET', '/api/v1/alarms?alarm_id=100.101,100.103')).body.items as Array<{ alarm_id: string }>;

  before(async () => {
    database = await createTestDatabase('sqlite');
    api = await createTestApi(database, { reportIntervalMs: 500 });
    const url = new URL(await api.app.listen({ port: 0, host: '127.0.0.1' }));
    link = new Link('127.0.0.1', Number(url.port));
    await link.up();
  });
  after(async () => {
    for (const a of agents) await a.stop();
    await link.down();
    await api.close();
    await database.dispose();
  });

  test('a bad enroll token is refused with the reason', async () => {
    const agent = makeAgent('ste_wrong-token');
    await assert.rejects(agent.enroll(), /enrollment refused by .*unknown or already used enroll token/);
  });

  test('enrolls with a one-time token, stores a 0600 credential, and comes online', async () => {
    const { body } = await api.request('admin', 'POST', '/api/v1/hosts', { hostname: 'controller-0', personality: 'controller' });
    const agent = makeAgent(body.enroll_token);
    await agent.start();
    assert.equal(statSync(join(stateDir, 'credential.json')).mode & 0o777, 0o600);
    await until('host online', async () => (await host()).availability === 'online');
    assert.equal((await host()).inventory.memory.total_mib, 2048);
    await until('the reply reaches the agent', () => agent.desired !== undefined);
    assert.equal(agent.desired?.administrative, 'locked');
  });

  test('alarms raised while the link is down arrive once, in order, when it returns', async () => {
    const agent = agents.at(-1)!;
    await link.down();
    agent.send({ kind: 'raise', alarm_id: '100.101', entity_instance_id: 'host=controller-0', severity: 'major', reason_text: 'cpu 91%' });
    agent.send({ kind: 'raise', alarm_id: '100.103', entity_instance_id: 'host=controller-0', severity: 'major', reason_text: 'mem 82%' });
    agent.send({ kind: 'clear', alarm_id: '100.101', entity_instance_id: 'host=controller-0' });
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await alarms()).length, 0, 'nothing arrives while the link is down');
    assert.equal(agent.queue.size, 3);
    assert.ok(agent.failures > 0, 'the agent noticed');
    await link.up();
    await until('queue drained', () => agent.queue.size === 0);
    assert.deepEqual((await alarms()).map((a) => a.alarm_id), ['100.103']);
    const events = (await api.request('reader', 'GET', '/api/v1/events?type=alarms&alarm_id=100.101,100.103')).body.items;
    assert.equal(events.length, 1, 'one set event: the coalesced 100.101 raise+clear wrote nothing, 100.103 once');
  });

  test('a restarted agent uses its stored credential and its queue', async () => {
    const old = agents.at(-1)!;
    await link.down();
    old.send({ kind: 'clear', alarm_id: '100.103', entity_instance_id: 'host=controller-0' });
    await old.stop();
    await link.up();
    const restarted = makeAgent(); // no token: the stored credential
    await restarted.start();
    await until('queued clear delivered after restart', async () => (await alarms()).length === 0);
  });
});
