import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { TestApi } from '../helpers/api.js';
import { useLiveApi } from '../helpers/live-api.js';
import { cliRunner } from '../helpers/cli.js';

describe('starling system and host commands', () => {
  const live = useLiveApi();
  let cli: ReturnType<typeof cliRunner>;
  let api: TestApi;
  before(() => {
    api = live.api;
    cli = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: api.tokens.admin });
  });

  test('host add prints the enroll token and the agent command line; list and show', async () => {
    const added = await cli.run('host', 'add', 'controller-0', '--personality', 'controller');
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /Added controller-0 \(controller\): locked\/disabled\/offline/);
    assert.match(added.out, /agent --controller http:\/\/127\.0\.0\.1:\d+ --enroll-token ste_\S+ --hostname controller-0/);
    const list = await cli.run('host', 'list');
    assert.match(list.out, /\| controller-0 \| controller +\| locked +\| disabled +\| offline/);
    const show = JSON.parse((await cli.run('host', 'show', 'controller-0', '-o', 'json')).out);
    assert.equal(show.config.kernel, 'standard');
    const refused = await cli.run('host', 'add', 'worker-0', '--personality', 'worker');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^Error: cannot add a worker host to an AIO-Simplex system/);
  });

  test('system show and modify, with the refusal explained', async () => {
    assert.match((await cli.run('system', 'show')).out, /\| mode +\| simplex/);
    const refused = await cli.run('system', 'modify', '--mode', 'standard');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /rule: only AIO-Simplex can change mode/);
    const ok = await cli.run('system', 'modify', '--mode', 'duplex', '-o', 'json');
    assert.equal(JSON.parse(ok.out).mode, 'duplex');
  });
});

describe('starling host actions', () => {
  const live = useLiveApi();
  let cli: ReturnType<typeof cliRunner>;
  let api: TestApi;
  before(() => {
    api = live.api;
    cli = cliRunner({ STARLING_URL: live.url, STARLING_TOKEN: api.tokens.operator });
  });

  test('lock/unlock print the new state; a refusal is one line naming the rule', async () => {
    await api.request('admin', 'POST', '/api/v1/hosts', { hostname: 'controller-0', personality: 'controller' });
    const refused = await cli.run('host', 'unlock', 'controller-0');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^Error: cannot unlock controller-0: controller-0 is offline; its agent must be reporting before it can be unlocked \[HTTP 409\]$/);
    const reboot = await cli.run('host', 'reboot', 'controller-0');
    assert.equal(reboot.code, 0, reboot.err);
    assert.match(reboot.out, /controller-0: locked\/disabled\/offline \(Rebooting\), active controller/);
    assert.match((await cli.run('host', 'lock', '--help')).out, /--force/);
  });
});
