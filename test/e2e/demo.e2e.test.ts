import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN, runBin } from '../helpers/processes.js';

describe('starling demo', () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-demo-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  test('starts a controller with labelled demo alarms and prints the URL, login and CLI lines', async (t) => {
    const child = spawn(process.execPath, [BIN, 'demo', '--port', '0', '--subclouds', '0', '--data-dir', join(home, 'demo')], {
      env: { PATH: process.env.PATH ?? '', HOME: home },
      cwd: home,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // A failed assertion must not leave the demo running (the test run would wait for it).
    t.after(() => void (child.exitCode === null && child.kill('SIGKILL')));
    for (let i = 0; i < 200 && !/Ctrl-C stops the demo/.test(text); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /URL: +(http:\/\/\S+)/.exec(text)?.[1];
    const password = /Login: +admin \/ (\S+)/.exec(text)?.[1];
    assert.ok(url && password, text);
    assert.match(text, /alarm list/);

    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'cfg') };
    assert.equal((await runBin(['login', '--url', url, '--username', 'admin', '--password', password], env)).code, 0);
    const alarms = JSON.parse((await runBin(['alarm', 'list', '-o', 'json'], env)).out) as Array<{ reason_text: string }>;
    assert.ok(alarms.length >= 4);
    assert.ok(alarms.every((a) => a.reason_text.startsWith('[demo data]')), 'every demo alarm is labelled');

    child.kill('SIGINT');
    assert.equal(await exited, 0);
  });

  test('refuses to wipe a folder it did not create', async () => {
    const foreign = join(home, 'precious');
    rmSync(foreign, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'thesis.txt'), 'do not delete');
    const r = await runBin(['demo', '--port', '0', '--data-dir', foreign], { HOME: home });
    assert.equal(r.code, 1);
    assert.match(r.err, /is not a demo folder/);
  });
});
