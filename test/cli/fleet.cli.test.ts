import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/backends.js';
import { cliRunner } from '../helpers/cli.js';
import { useLiveApi } from '../helpers/live-api.js';

describe('starling subcloud errors and error-summary', () => {
  // Like useLiveApi, keeping the database at hand to record errors directly.
  let database: TestDatabase;
  let api: TestApi;
  let cli: ReturnType<typeof cliRunner>;
  before(async () => {
    database = await createTestDatabase('sqlite');
    api = await createTestApi(database, { siteRole: 'systemcontroller' });
    cli = cliRunner({ STARLING_URL: await api.app.listen({ port: 0, host: '127.0.0.1' }), STARLING_TOKEN: api.tokens.reader });
  });
  after(async () => {
    await api.close();
    await database.dispose();
  });

  test('errors: a table of what, evidence, repair, first/last seen and count; --all adds the cleared; error-summary groups by cause', async () => {
    const ids: Record<string, number> = {};
    for (const name of ['mine-1', 'mine-2', 'calm-1']) ids[name] = (await api.request('admin', 'POST', '/api/v1/subclouds', { name })).body.subcloud.id;
    const t = api.clock.now();
    const db = database.db;
    for (const name of ['mine-1', 'mine-2']) {
      await api.subclouds.errorLog.record(db, ids[name]!, { cause: 'sync_failed:identity', what: 'identity sync failed', evidence: 'HTTP 503 from keystone', repair: 'starling subcloud show {name}' }, t);
    }
    await api.subclouds.errorLog.record(db, ids['mine-1']!, { cause: 'sync_failed:identity', what: 'identity sync failed', evidence: 'HTTP 500 from keystone', repair: 'starling subcloud show {name}' }, t + 1000);

    const e = await cli.run('subcloud', 'errors', 'mine-1');
    assert.equal(e.code, 0, e.err);
    assert.match(e.out, /\| Cause +\| What +\| Evidence +\| Repair +\| First Seen +\| Last Seen +\| Count \|/);
    assert.match(e.out, new RegExp(`\\| sync_failed:identity \\| identity sync failed \\| HTTP 500 from keystone \\| starling subcloud show mine-1 \\| ${new Date(t).toISOString()} \\| ${new Date(t + 1000).toISOString()} \\| 2 +\\|`));
    const json = JSON.parse((await cli.run('subcloud', 'errors', 'mine-1', '-o', 'json')).out);
    assert.deepEqual([json.error_cause, json.items.length, json.items[0].count], ['sync_failed:identity', 1, 2]);
    assert.equal((await cli.run('subcloud', 'errors', 'calm-1')).out, 'calm-1: No errors present');

    await api.subclouds.errorLog.clear(db, ids['mine-2']!, 'sync_failed:identity', t + 2000);
    assert.equal((await cli.run('subcloud', 'errors', 'mine-2')).out, 'mine-2: No errors present');
    const all = await cli.run('subcloud', 'errors', 'mine-2', '--all');
    assert.match(all.out, /\| Count \| Cleared +\|/);
    assert.match(all.out, new RegExp(`\\| 1 +\\| ${new Date(t + 2000).toISOString()} \\|`));

    await api.subclouds.errorLog.record(db, ids['mine-2']!, { cause: 'offline', what: 'stopped reporting', evidence: 'last report 45 s ago', repair: 'check the link to {name}' }, t + 3000);
    const summary = await cli.run('subcloud', 'error-summary');
    assert.equal(summary.code, 0, summary.err);
    assert.match(summary.out, /\| Cause +\| Subclouds \| Examples +\| What +\| Last Seen +\| Repair +\|/);
    assert.match(summary.out, /\| sync_failed:identity \| 1 +\| mine-1 +\| identity sync failed \| .* \| starling subcloud show NAME +\|/);
    assert.match(summary.out, /\| offline +\| 1 +\| mine-2 +\| stopped reporting +\| .* \| check the link to NAME +\|/);
    const groups = JSON.parse((await cli.run('subcloud', 'error-summary', '-o', 'json')).out);
    assert.deepEqual(groups.map((g: { cause: string }) => g.cause).sort(), ['offline', 'sync_failed:identity']);
    const missing = await cli.run('subcloud', 'errors', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /subcloud nope not found \[HTTP 404\]/);
  });
});

describe('starling alarm list --fleet', () => {
  const live = useLiveApi({ siteRole: 'systemcontroller' });

  test('the subclouds\' alarms with their names; --subcloud filters; an unknown one is an error', async () => {
    const { api, url } = live;
    const t = Date.UTC(2026, 2, 1);
    for (const [name, severity, at] of [
      ['hill-1', 'critical', t + 2000],
      ['hill-2', 'major', t + 1000],
    ] as const) {
      const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name });
      const { credential } = (await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, name })).body;
      const op = { kind: 'raise', alarm_id: '100.101', entity_instance_id: 'host=controller-0', severity, reason_text: `cpu on ${name}`, timestamp: at };
      const report = (body: object) => api.request(null, 'POST', '/api/v1/dc/report', { seq: 1, status_hash: 'h', ops: [], known_generation: 0, wait_ms: 0, ...body }, { authorization: `Bearer ${credential}` });
      const r = await report({ ops: [{ seq: 1, op }] });
      assert.equal(r.status, 200, r.text);
      // A system controller that wants a snapshot of the active alarms first gets one.
      if (r.body.need_snapshot) assert.equal((await report({ seq: 2, snapshot: { up_to_seq: 1, alarms: [op] } })).status, 200);
    }
    const cli = cliRunner({ STARLING_URL: url, STARLING_TOKEN: api.tokens.reader });
    const fleet = await cli.run('alarm', 'list', '--fleet');
    assert.equal(fleet.code, 0, fleet.err);
    assert.match(fleet.out, /\| Subcloud \| UUID +\| Alarm ID \| Reason Text +\| Entity ID +\| Severity \| Time Stamp +\|/);
    assert.match(fleet.out, /\| hill-1 +\| \S+ \| 100\.101 +\| cpu on hill-1 \| host=controller-0 \| critical \|[^\n]*\n\| hill-2 +\| \S+ \| 100\.101 +\| cpu on hill-2 \| host=controller-0 \| major +\|/);
    const one = await cli.run('alarm', 'list', '--fleet', '--subcloud', 'hill-2', '-o', 'json');
    assert.deepEqual(
      JSON.parse(one.out).map((a: { subcloud: string; severity: string }) => `${a.subcloud}:${a.severity}`),
      ['hill-2:major'],
    );
    const implied = await cli.run('alarm', 'list', '--subcloud', 'hill-1', '--severity', 'major');
    assert.doesNotMatch(implied.out, /hill-1/, '--subcloud implies --fleet; --severity filters');
    const unknown = await cli.run('alarm', 'list', '--fleet', '--subcloud', 'nowhere');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /^Error: subcloud nowhere not found \[HTTP 404\]$/);
    const watch = await cli.run('alarm', 'list', '--fleet', '--watch');
    assert.equal(watch.code, 1);
    assert.match(watch.err, /--watch is not available with --fleet/);
  });
});
