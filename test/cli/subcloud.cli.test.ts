import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { cliRunner } from '../helpers/cli.js';
import { useLiveApi } from '../helpers/live-api.js';

describe('starling subcloud and subcloud-group commands', () => {
  const live = useLiveApi({ siteRole: 'systemcontroller' });
  let cli: ReturnType<typeof cliRunner>;
  before(() => {
    cli = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: live.api.tokens.admin });
  });

  test('groups, add with a token, list, show, manage refused with the rule, errors', async () => {
    const g = await cli.run('subcloud-group', 'create', 'rural', '--apply-type', 'serial', '--max-parallel', '1');
    assert.equal(g.code, 0, g.err);
    assert.match((await cli.run('subcloud-group', 'list')).out, /\| 2 +\| rural +\| serial +\| 1 /);
    const added = await cli.run('subcloud', 'add', 'farm-12', '--group', 'rural', '--location', 'valley');
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /Added subcloud farm-12 \(group rural\): unmanaged, offline, pre-enroll\nEnroll token \(one use, until .*\):\n {2}stse_/);
    assert.match((await cli.run('subcloud', 'list')).out, /\| farm-12 \| unmanaged +\| offline +\| pre-enroll +\| rural/);
    const shown = JSON.parse((await cli.run('subcloud', 'show', 'farm-12', '-o', 'json')).out);
    assert.equal(shown.location, 'valley');
    const manage = await cli.run('subcloud', 'manage', 'farm-12');
    assert.equal(manage.code, 1);
    assert.match(manage.err, /^Error: cannot manage farm-12: it is offline \(rule: manage needs an online, deployed subcloud; --force overrides\) \[HTTP 409\]$/);
    assert.match((await cli.run('subcloud', 'errors', 'farm-12')).out, /No errors present/);
    assert.match((await cli.run('subcloud', 'update', 'farm-12', '--description', 'irrigation')).out, /\| description +\| irrigation/);
    const token = await cli.run('subcloud', 'enroll-token', 'farm-12');
    assert.equal(token.code, 0, token.err);
    assert.match(token.out, /^Enroll token for farm-12 \(one use, until .*\):\n {2}stse_\S+\nOn the subcloud: starling serve --role subcloud --enroll-token stse_/);
    assert.equal((await cli.run('subcloud', 'delete', 'farm-12')).code, 0);
    const gone = await cli.run('subcloud', 'enroll-token', 'farm-12');
    assert.equal(gone.code, 1);
    assert.match(gone.err, /subcloud farm-12 not found/);
  });

  test('certificate fleet: the subclouds whose certificates expire soonest', async () => {
    const { api } = live;
    const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'mast-3' });
    const { credential } = (await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, name: 'mast-3' })).body;
    const notAfter = api.clock.now() + 40 * 86_400_000 + 1000;
    const status = { software_version: '0.1.0', hosts: { total: 1, available: 1, degraded: 0, failed: 0, offline: 0 }, endpoints: {}, certificates: { soonest: { name: 'subcloud-ica', type: 'subcloud-ica', not_after: notAfter } } };
    const r = await api.request(null, 'POST', '/api/v1/dc/report', { seq: 1, status_hash: 'c', status, ops: [], snapshot: { up_to_seq: 0, alarms: [] }, known_generation: 0, wait_ms: 0 }, { authorization: `Bearer ${credential}` });
    assert.equal(r.status, 200, r.text);
    const out = await cli.run('certificate', 'fleet');
    assert.equal(out.code, 0, out.err);
    assert.match(out.out, /^1 subclouds reporting certificates; 0 with one expiring \(500\.200\), 0 with one expired \(500\.210\)/);
    assert.match(out.out, /\| mast-3 +\| online +\| subcloud-ica +\| subcloud-ica +\| \S+ +\| 40 +\| 0 +\| 0 +\|/);
  });
});

describe('starling alarm summary --fleet', () => {
  const live = useLiveApi({ siteRole: 'systemcontroller' });
  test('per-subcloud counts with cloud_status and fleet totals', async () => {
    const { api, url } = live;
    const added = await api.request('admin', 'POST', '/api/v1/subclouds', { name: 'site-x' });
    const { credential } = (await api.request(null, 'POST', '/api/v1/dc/enroll', { token: added.body.enroll_token, name: 'site-x' })).body;
    await api.request(
      null,
      'POST',
      '/api/v1/dc/report',
      { seq: 1, status_hash: 'h', ops: [{ seq: 1, op: { kind: 'raise', alarm_id: '100.101', entity_instance_id: 'host=controller-0', severity: 'major', reason_text: 'cpu' } }], snapshot: { up_to_seq: 0, alarms: [] }, known_generation: 0, wait_ms: 0 },
      { authorization: `Bearer ${credential}` },
    );
    const cli = cliRunner({ STARLING_URL: url, STARLING_TOKEN: api.tokens.reader });
    const r = await cli.run('alarm', 'summary', '--fleet');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\| site-x +\| 0 +\| 1 +\| 0 +\| 0 +\| degraded \|/);
    assert.match(r.out, /Fleet: 0 critical, 1 major, 0 minor, 0 warning; subclouds 0 critical, 1 degraded, 0 OK/);
  });
});
