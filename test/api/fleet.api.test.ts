import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { durations } from '../../src/core/durations.js';
import { NO_ERRORS } from '../../src/resources/subclouds/subcloud.types.js';
import type { SubcloudErrorView } from '../../src/resources/subclouds/subcloud-errors.js';
import { describeEachBackend } from '../helpers/backends.js';
import { createTestApi, PASSWORDS, type TestApi } from '../helpers/api.js';

type ErrorItem = SubcloudErrorView;

describeEachBackend('subcloud errors with causes', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { siteRole: 'systemcontroller' });
  });
  afterEach(() => api.close());

  /** Sessions expire too when the clock jumps a day. */
  const logInAgain = async () => {
    for (const role of ['admin', 'reader'] as const) api.tokens[role] = (await api.request(null, 'POST', '/api/v1/auth/login', { username: role, password: PASSWORDS[role] })).body.token;
  };
  const add = async (name: string) => (await api.request('admin', 'POST', '/api/v1/subclouds', { name })).body as { subcloud: { id: number }; enroll_token: string; expires_at: string };
  const errorsOf = async (name: string, all = false) => (await api.request('reader', 'GET', `/api/v1/subclouds/${name}/errors${all ? '?all=true' : ''}`)).body as { name: string; error_description: string; error_cause: string | null; items: ErrorItem[] };

  test('an expired enroll token is recorded with cause, evidence and repair; again bumps the count; the fleet groups it by cause', async () => {
    const farm1 = await add('farm-1');
    const farm2 = await add('farm-2');
    await add('farm-3');
    api.clock.advance(durations.enrollTokenTtlMs + 60_000);
    await logInAgain();
    const triedAt = new Date(api.clock.now()).toISOString();
    const refused = await api.request(null, 'POST', '/api/v1/dc/enroll', { token: farm1.enroll_token, name: 'farm-1' });
    assert.equal(refused.status, 401);

    const e = await errorsOf('farm-1');
    assert.equal(e.items.length, 1);
    const [err] = e.items;
    assert.equal(err!.cause, 'enroll_token_expired');
    assert.match(err!.what, /enroll token expired before the subcloud enrolled/);
    assert.equal(err!.evidence, `the token expired at ${farm1.expires_at}; the subcloud tried to enroll at ${triedAt}`);
    assert.match(err!.repair, /starling subcloud delete farm-1, then starling subcloud add farm-1/);
    assert.deepEqual([err!.count, err!.first_at, err!.last_at, err!.cleared_at], [1, triedAt, triedAt, null]);
    assert.equal(e.error_cause, 'enroll_token_expired');
    assert.equal(e.error_description, `${err!.what}: ${err!.evidence}`);
    const shown = (await api.request('reader', 'GET', '/api/v1/subclouds/farm-1')).body;
    assert.deepEqual([shown.deploy_status, shown.error_description], ['enroll-failed', e.error_description]);

    api.clock.advance(1000);
    await api.request(null, 'POST', '/api/v1/dc/enroll', { token: farm2.enroll_token, name: 'farm-2' });
    api.clock.advance(1000);
    await api.request(null, 'POST', '/api/v1/dc/enroll', { token: farm1.enroll_token, name: 'farm-1' });
    const again = (await errorsOf('farm-1')).items;
    assert.equal(again.length, 1, 'one active error per cause');
    assert.equal(again[0]!.count, 2);
    assert.equal(again[0]!.first_at, triedAt);
    assert.equal(again[0]!.last_at, new Date(api.clock.now()).toISOString());

    const fleet = await api.request('reader', 'GET', '/api/v1/fleet/errors');
    assert.equal(fleet.status, 200, fleet.text);
    assert.equal(fleet.body.items.length, 1);
    const group = fleet.body.items[0];
    assert.deepEqual([group.cause, group.subclouds, group.examples], ['enroll_token_expired', 2, ['farm-1', 'farm-2']]);
    assert.match(group.repair, /starling subcloud delete NAME, then starling subcloud add NAME/);
    assert.deepEqual(await errorsOf('farm-3'), { name: 'farm-3', error_description: NO_ERRORS, error_cause: null, items: [] });
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds/nope/errors')).status, 404);
  });

  test('recording keeps one active row per cause; clear moves it to the history and restores No errors present', async () => {
    const { id } = (await add('edge-1')).subcloud;
    await add('edge-2');
    const db = ctx.database.db;
    const log = api.subclouds.errorLog;
    const t0 = api.clock.now();
    await log.record(db, id, { cause: 'sync_failed:identity', what: 'identity sync failed', evidence: 'HTTP 503 from keystone', repair: 'starling subcloud show {name}' }, t0);
    await log.record(db, id, { cause: 'offline', what: 'the subcloud stopped reporting', evidence: 'last report 45 s ago', repair: 'check the link to {name}' }, t0 + 1000);
    let e = await errorsOf('edge-1');
    assert.deepEqual([e.error_cause, e.error_description], ['offline', 'the subcloud stopped reporting: last report 45 s ago']);
    assert.deepEqual(e.items.map((i) => i.cause), ['offline', 'sync_failed:identity']);
    assert.equal(e.items[0]!.repair, 'check the link to edge-1');

    await log.record(db, id, { cause: 'sync_failed:identity', what: 'identity sync failed', evidence: 'HTTP 500 from keystone', repair: 'starling subcloud show {name}' }, t0 + 2000);
    e = await errorsOf('edge-1');
    assert.deepEqual(
      e.items.map((i) => [i.cause, i.count, i.evidence]),
      [
        ['sync_failed:identity', 2, 'HTTP 500 from keystone'],
        ['offline', 1, 'last report 45 s ago'],
      ],
    );
    assert.equal(e.error_cause, 'sync_failed:identity', 'the latest active error is described');

    assert.equal(await log.clear(db, id, 'sync_failed:identity', t0 + 3000), true);
    e = await errorsOf('edge-1');
    assert.deepEqual(e.items.map((i) => i.cause), ['offline']);
    assert.equal(e.error_cause, 'offline');
    const history = (await errorsOf('edge-1', true)).items;
    assert.deepEqual(
      history.map((i) => [i.cause, i.cleared_at]),
      [
        ['offline', null],
        ['sync_failed:identity', new Date(t0 + 3000).toISOString()],
      ],
    );

    assert.equal(await log.clear(db, id, 'offline', t0 + 4000), true);
    assert.equal(await log.clear(db, id, 'offline', t0 + 4000), false, 'nothing left to clear');
    e = await errorsOf('edge-1');
    assert.deepEqual([e.items, e.error_description, e.error_cause], [[], NO_ERRORS, null]);
    assert.equal((await api.request('reader', 'GET', '/api/v1/subclouds/edge-1')).body.error_description, NO_ERRORS);
    assert.deepEqual((await api.request('reader', 'GET', '/api/v1/fleet/errors')).body.items, []);

    // A recurrence after a clear is a new error; the cleared one stays in the history.
    await ctx.database.db.transaction().execute((trx) => log.record(trx, id, { cause: 'offline', what: 'the subcloud stopped reporting', evidence: 'again', repair: 'check the link' }, t0 + 5000));
    assert.deepEqual((await errorsOf('edge-1')).items.map((i) => [i.cause, i.count]), [['offline', 1]]);
    assert.equal((await errorsOf('edge-1', true)).items.length, 3);
    await assert.rejects(log.record(db, id, { cause: 'Not A Code', what: 'x', evidence: 'y', repair: 'z' }, t0), /not a short code/);
  });

  test('the fleet view: most subclouds first, at most five examples, only active errors', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await add(`site-${i}`)).subcloud.id);
    const db = ctx.database.db;
    const log = api.subclouds.errorLog;
    const t0 = api.clock.now();
    for (const [i, id] of ids.entries()) await log.record(db, id, { cause: 'offline', what: 'offline', evidence: `e${i}`, repair: 'check the link to {name}' }, t0 + i);
    await log.record(db, ids[0]!, { cause: 'rehome_failed', what: 'rehome failed', evidence: 'refused', repair: 'starling subcloud update {name} --system-controller URL' }, t0);
    await log.record(db, ids[1]!, { cause: 'rehome_failed', what: 'rehome failed', evidence: 'refused', repair: 'x' }, t0);
    await log.clear(db, ids[1]!, 'rehome_failed', t0 + 10);
    const { items } = (await api.request('reader', 'GET', '/api/v1/fleet/errors')).body;
    assert.deepEqual(
      items.map((g: { cause: string; subclouds: number; examples: string[] }) => [g.cause, g.subclouds, g.examples]),
      [
        ['offline', 7, ['site-6', 'site-5', 'site-4', 'site-3', 'site-2']],
        ['rehome_failed', 1, ['site-0']],
      ],
    );
    assert.equal(items[0].repair, 'check the link to NAME');
    assert.equal(items[1].repair, 'starling subcloud update NAME --system-controller URL');
  });
});

const raise = (alarm_id: string, entity: string, severity: string, timestamp: number) => ({ kind: 'raise', alarm_id, entity_instance_id: entity, severity, reason_text: `${alarm_id} on ${entity}`, mgmt_affecting: severity === 'critical', timestamp });

describeEachBackend('fleet alarm list', (ctx) => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi(ctx.database, { siteRole: 'systemcontroller' });
  });
  afterEach(() => api.close());

  /**
   * Adds and enrolls a subcloud, then reports these alarm operations from it;
   * when the system controller asks for a snapshot of its active alarms
   * first (need_snapshot), sends one, as a subcloud does.
   */
  async function subcloudWith(name: string, ops: Array<{ kind: string; alarm_id: string; entity_instance_id: string }>): Promise<void> {
    const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name });
    const { credential } = (await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, name })).body;
    const report = async (body: object) => {
      const r = await api.request(null, 'POST', '/api/v1/dc/report', { seq: 1, status_hash: 'h', ops: [], known_generation: 0, wait_ms: 0, ...body }, { authorization: `Bearer ${credential}` });
      assert.equal(r.status, 200, r.text);
      return r.body as { need_snapshot?: boolean };
    };
    const reply = await report({ ops: ops.map((op, i) => ({ seq: i + 1, op })) });
    if (reply.need_snapshot) {
      const active = new Map<string, (typeof ops)[number]>();
      for (const op of ops) active.set(`${op.alarm_id} ${op.entity_instance_id}`, op);
      await report({ seq: 2, snapshot: { up_to_seq: ops.length, alarms: [...active.values()].filter((op) => op.kind === 'raise') } });
    }
  }

  test('newest first with subcloud names; filters by subcloud, severity and alarm ID; paginates; 404 names the field', async () => {
    const t = Date.UTC(2026, 2, 1);
    await subcloudWith('north-1', [raise('100.101', 'host=controller-0', 'major', t + 1000), raise('100.104', 'host=controller-0.filesystem=/var', 'critical', t + 5000), raise('100.114', 'host=controller-0.ntp', 'minor', t + 3000)]);
    await subcloudWith('south-1', [raise('100.101', 'host=controller-0', 'critical', t + 4000), raise('200.001', 'host=controller-0', 'warning', t + 2000)]);
    await subcloudWith('quiet-1', []);

    const all = await api.request('reader', 'GET', '/api/v1/fleet/alarms');
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(
      all.body.items.map((a: { subcloud: string; alarm_id: string; severity: string }) => `${a.subcloud}/${a.alarm_id}/${a.severity}`),
      ['north-1/100.104/critical', 'south-1/100.101/critical', 'north-1/100.114/minor', 'south-1/200.001/warning', 'north-1/100.101/major'],
    );
    const first = all.body.items[0];
    assert.deepEqual(
      { ...first, uuid: typeof first.uuid },
      { subcloud: 'north-1', uuid: 'string', alarm_id: '100.104', entity_instance_id: 'host=controller-0.filesystem=/var', severity: 'critical', reason_text: '100.104 on host=controller-0.filesystem=/var', mgmt_affecting: true, timestamp: new Date(t + 5000).toISOString() },
    );
    assert.equal(all.body.next_cursor, null);

    const south = (await api.request('reader', 'GET', '/api/v1/fleet/alarms?subcloud=south-1')).body.items;
    assert.deepEqual(south.map((a: { subcloud: string; alarm_id: string }) => `${a.subcloud}/${a.alarm_id}`), ['south-1/100.101', 'south-1/200.001']);
    const critical = (await api.request('reader', 'GET', '/api/v1/fleet/alarms?severity=critical,major')).body.items;
    assert.deepEqual(critical.map((a: { subcloud: string; severity: string }) => `${a.subcloud}/${a.severity}`), ['north-1/critical', 'south-1/critical', 'north-1/major']);
    const both = (await api.request('reader', 'GET', '/api/v1/fleet/alarms?subcloud=north-1&severity=critical&alarm_id=100.104')).body.items;
    assert.equal(both.length, 1);
    assert.deepEqual((await api.request('reader', 'GET', '/api/v1/fleet/alarms?subcloud=quiet-1')).body, { items: [], next_cursor: null });

    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { items: Array<{ uuid: string }>; next_cursor: string | null } } = await api.request('reader', 'GET', `/api/v1/fleet/alarms?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      paged.push(...page.body.items.map((a) => a.uuid));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(paged, all.body.items.map((a: { uuid: string }) => a.uuid));

    const unknown = await api.request('reader', 'GET', '/api/v1/fleet/alarms?subcloud=nowhere');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.field, 'subcloud');
    assert.match(unknown.body.message, /subcloud nowhere not found/);
    assert.equal((await api.request('reader', 'GET', '/api/v1/fleet/alarms?severity=loud')).body.field, 'severity');
    assert.equal((await api.request('reader', 'GET', '/api/v1/fleet/alarms?alarm_id=1.2')).body.field, 'alarm_id');
    assert.equal((await api.request('reader', 'GET', '/api/v1/fleet/alarms?cursor=garbage')).body.field, 'cursor');
    assert.equal((await api.request(null, 'GET', '/api/v1/fleet/alarms')).status, 401);
    assert.equal((await api.request(null, 'GET', '/api/v1/fleet/errors')).status, 401);
  });

  test('a cleared alarm leaves the fleet list', async () => {
    const t = Date.UTC(2026, 2, 1);
    await subcloudWith('east-1', [raise('100.101', 'host=controller-0', 'major', t), { kind: 'clear', alarm_id: '100.101', entity_instance_id: 'host=controller-0' }, raise('100.114', 'host=controller-0.ntp', 'minor', t + 1)]);
    assert.deepEqual((await api.request('operator', 'GET', '/api/v1/fleet/alarms?subcloud=east-1')).body.items.map((a: { alarm_id: string }) => a.alarm_id), ['100.114']);
  });
});
