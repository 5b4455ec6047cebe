import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { createTestDatabase, type TestDatabase } from '../helpers/backends.js';
import { createTestApi, PASSWORDS, type TestApi } from '../helpers/api.js';
import { cliRunner } from '../helpers/cli.js';

describe('starling CLI against a live controller', () => {
  let database: TestDatabase;
  let api: TestApi;
  let url: string;
  const cli = cliRunner();

  before(async () => {
    database = await createTestDatabase('sqlite');
    api = await createTestApi(database);
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await api.close();
    await database.dispose();
  });

  test('commands need a login first, and say so', async () => {
    const r = await cli.run('alarm', 'list');
    assert.equal(r.code, 1);
    assert.match(r.err, /^Error: not logged in/);
  });

  test('login stores the token with mode 0600; a wrong password fails with one line', async () => {
    const bad = await cli.run('login', '--url', url, '--username', 'operator', '--password', 'nope-nope');
    assert.equal(bad.code, 1);
    assert.equal(bad.err.split('\n').length, 1);
    assert.match(bad.err, /wrong user name or password.*HTTP 401/);
    const ok = await cli.run('login', '--url', url, '--username', 'operator', '--password', PASSWORDS.operator);
    assert.equal(ok.code, 0, ok.err);
    const file = join(cli.env.XDG_CONFIG_HOME!, 'starling', 'cli.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const who = await cli.run('whoami', '-o', 'json');
    assert.equal(JSON.parse(who.out).role, 'operator');
  });

  test('alarm raise, list (table, json, yaml), show, summary, clear', async () => {
    const raised = await cli.run('alarm', 'raise', '--alarm-id', '100.104', '--entity', 'host=controller-0.filesystem=/var', '--severity', 'major', '--reason', 'Filesystem /var 84%', '-o', 'json');
    assert.equal(raised.code, 0, raised.err);
    const uuid = JSON.parse(raised.out).uuid as string;
    const table = await cli.run('alarm', 'list');
    assert.match(table.out, /\| UUID +\| Alarm ID \| Reason Text/);
    assert.match(table.out, /100\.104 +\| Filesystem \/var 84%/);
    const json = JSON.parse((await cli.run('alarm', 'list', '-o', 'json')).out);
    assert.equal(json[0].uuid, uuid);
    const yaml = parseYaml((await cli.run('-o', 'yaml', 'alarm', 'list', '--severity', 'major')).out);
    assert.equal(yaml[0].alarm_id, '100.104');
    assert.equal(JSON.parse((await cli.run('alarm', 'list', '--severity', 'critical', '-o', 'json')).out).length, 0);
    const show = await cli.run('alarm', 'show', uuid);
    assert.match(show.out, /\| proposed_repair_action +\| Reduce usage/);
    const summary = await cli.run('alarm', 'summary', '-o', 'json');
    assert.equal(JSON.parse(summary.out).major, 1);
    const cleared = await cli.run('alarm', 'clear', '--alarm-id', '100.104', '--entity', 'host=controller-0.filesystem=/var');
    assert.equal(cleared.code, 0);
    const again = await cli.run('alarm', 'clear', '--alarm-id', '100.104', '--entity', 'host=controller-0.filesystem=/var');
    assert.equal(again.code, 1);
    assert.match(again.err, /no active alarm 100\.104.*HTTP 404/);
  });

  test('bad input: one clear error line and a non-zero exit', async () => {
    const sev = await cli.run('alarm', 'raise', '--alarm-id', '100.104', '--entity', 'h', '--severity', 'awful', '--reason', 'x');
    assert.notEqual(sev.code, 0);
    assert.match(sev.err, /argument 'awful' is invalid/);
    const unknown = await cli.run('alarm', 'raise', '--alarm-id', '555.555', '--entity', 'h', '--severity', 'major', '--reason', 'x');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /^Error: alarm_id: unknown alarm ID 555\.555/);
    const missing = await cli.run('alarm', 'raise', '--alarm-id', '100.104');
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /required option/);
  });

  test('events, suppression', async () => {
    await cli.run('alarm', 'raise', '--alarm-id', '100.101', '--entity', 'host=worker-0', '--severity', 'critical', '--reason', 'cpu 97%');
    const events = JSON.parse((await cli.run('event', 'list', '--alarms', '-o', 'json')).out);
    assert.ok(events.length >= 3);
    const shown = await cli.run('event', 'show', events[0].uuid, '-o', 'json');
    assert.equal(JSON.parse(shown.out).uuid, events[0].uuid);
    const sup = await cli.run('event', 'suppress', '--alarm-id', '100.101');
    assert.match(sup.out, /100\.101 +\| suppressed/);
    assert.equal(JSON.parse((await cli.run('alarm', 'list', '-o', 'json')).out).length, 0);
    assert.equal(JSON.parse((await cli.run('alarm', 'list', '--include-suppressed', '-o', 'json')).out).length, 1);
    const list = await cli.run('event', 'suppress-list', '-o', 'json');
    assert.equal(JSON.parse(list.out).find((s: { alarm_id: string }) => s.alarm_id === '100.101').suppression_status, 'suppressed');
    assert.equal((await cli.run('event', 'unsuppress-all')).code, 0);
    assert.equal(JSON.parse((await cli.run('alarm', 'list', '-o', 'json')).out).length, 1);
  });

  test('users and audit need an admin; API tokens work through STARLING_TOKEN', async () => {
    const denied = await cli.run('user', 'create', 'carol', '--role', 'reader');
    assert.equal(denied.code, 1);
    assert.match(denied.err, /may not POST.*HTTP 403/);
    await cli.run('login', '--url', url, '--username', 'admin', '--password', PASSWORDS.admin);
    const created = await cli.run('user', 'create', 'carol', '--role', 'reader', '-o', 'json');
    assert.equal(created.code, 0, created.err);
    assert.ok(JSON.parse(created.out).generated_password);
    assert.match((await cli.run('user', 'list')).out, /carol +\| reader/);
    assert.equal((await cli.run('user', 'update', 'carol', '--role', 'operator')).code, 0);
    const audit = await cli.run('audit', 'list', '--user', 'admin', '-o', 'json');
    assert.ok(JSON.parse(audit.out).some((r: { route: string; target_id: string }) => r.route === '/api/v1/users/:name' && r.target_id === 'carol'));
    const selfDelete = await cli.run('user', 'delete', 'admin');
    assert.match(selfDelete.err, /cannot delete yourself/);

    const token = JSON.parse((await cli.run('token', 'create', 'script', '-o', 'json')).out).token as string;
    const scripted = cliRunner({ STARLING_URL: url, STARLING_TOKEN: token });
    const who = await scripted.run('whoami', '-o', 'json');
    assert.equal(JSON.parse(who.out).via, 'api-token');
    assert.equal((await cli.run('user', 'delete', 'carol')).code, 0);
  });

  test('logout ends the session on the controller, not only here', async () => {
    await cli.run('login', '--url', url, '--username', 'reader', '--password', PASSWORDS.reader);
    const file = join(cli.env.XDG_CONFIG_HOME!, 'starling', 'cli.json');
    const { token } = JSON.parse(readFileSync(file, 'utf8')) as { token: string };
    const out = await cli.run('logout');
    assert.equal(out.code, 0, out.err);
    assert.match(out.out, /^Logged out of .*: the session is ended on the controller$/);
    assert.equal(existsSync(file), false);
    const reuse = await cliRunner({ STARLING_URL: url, STARLING_TOKEN: token }).run('whoami');
    assert.match(reuse.err, /ended by logout.*HTTP 401/, 'a copy of the token is worthless');
    assert.equal((await cli.run('logout')).out, 'Not logged in');
  });

  test('an unreachable controller is one clear line', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const offline = cliRunner({ STARLING_URL: `http://127.0.0.1:${port}`, STARLING_TOKEN: 'x' });
    const r = await offline.run('alarm', 'list');
    assert.equal(r.code, 1);
    assert.equal(r.err, `Error: cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  test('--help exists on every command', async () => {
    for (const argv of [['--help'], ['alarm', '--help'], ['alarm', 'list', '--help'], ['event', 'suppress', '--help'], ['user', 'create', '--help'], ['audit', 'list', '--help'], ['serve', '--help'], ['demo', '--help'], ['login', '--help']]) {
      const r = await cli.run(...argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.out, /^Usage: starling/, argv.join(' '));
    }
  });
});
