/**
 * The dashboard in a real browser (Debian's chromium, driven by
 * playwright-core) against a real `starling demo` process with a small
 * simulated fleet: log in; the fleet map renders every subcloud; a tile
 * opens its subcloud; an alarm raised through the API appears without a
 * reload; a fleet strategy's progress bar moves; a reader sees no lock
 * button. A screenshot of each main view goes to the folder printed at
 * the start (STARLING_SCREENSHOTS, default .test-output/screenshots).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { BIN } from '../helpers/processes.js';
import { until } from '../helpers/until.js';

const SHOTS = process.env.STARLING_SCREENSHOTS ?? fileURLToPath(new URL('../../.test-output/screenshots', import.meta.url));
const missing = browserMissing();

describe('dashboard in chromium against starling demo', { skip: missing }, () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-dash-'));
  let demo: ReturnType<typeof spawn>;
  let url = '';
  let password = '';
  let adminToken = '';
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];

  const call = async (method: string, path: string, body?: unknown, token = adminToken) => {
    const res = await fetch(`${url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const logIn = async (username: string, pass: string) => {
    await page.goto(`${url}/`);
    await page.getByLabel('User name').fill(username);
    await page.getByLabel('Password').fill(pass);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Views' }).waitFor();
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    console.log(`# screenshots: ${SHOTS}`);
    demo = spawn(process.execPath, [BIN, 'demo', '--port', '0', '--subclouds', '12', '--deploy-seconds', '3', '--data-dir', join(home, 'demo')], {
      env: { PATH: process.env.PATH ?? '', HOME: home },
      cwd: home,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    demo.stdout!.on('data', (d) => (text += d));
    demo.stderr!.on('data', (d) => (text += d));
    await until('the demo to start', async () => /Ctrl-C stops the demo/.test(text), 90_000);
    url = /URL: +(http:\/\/\S+)/.exec(text)![1]!;
    password = /Login: +admin \/ (\S+)/.exec(text)![1]!;
    adminToken = (await (await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: "admin", password }) })).json() as { token: string }).token;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Chromium reports every Content-Security-Policy refusal on the console: the dashboard must cause none.
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    demo?.kill('SIGINT');
    await new Promise((r) => demo?.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  });

  test('log in; the fleet map renders every subcloud; a tile opens its subcloud', async () => {
    await page.goto(`${url}/`);
    await shot('01-login');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    await logIn('admin', password);
    await page.getByText('[simulated] Starling demo').waitFor(); // the header says what this is
    const total = (await call('GET', '/fleet/map')).subclouds.name.length;
    assert.equal(total, 16, '12 simulated and 4 unreachable');
    await page.waitForSelector(`canvas[data-tiles="${total}"]`);
    await page.getByRole('button', { name: /offline/ }).waitFor();
    await shot('02-fleet');

    // The first tile (names sorted: forest-sensors-00001) sits at the top left.
    await page.locator('canvas').click({ position: { x: 5, y: 5 } });
    await page.getByRole('heading', { name: 'Subcloud forest-sensors-00001' }).waitFor();
    assert.match(page.url(), /#\/subclouds\/forest-sensors-00001$/);
    await page.getByText('Sync status per endpoint').waitFor();
    await shot('03-subcloud');

    // Keyboard: focusing the map selects the first tile; right moves to the second; Enter opens it.
    await page.goto(`${url}/#/fleet`);
    await page.locator('canvas').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Subcloud forest-sensors-00002' }).waitFor();
  });

  test('an alarm raised through the API appears without a reload', async () => {
    await page.goto(`${url}/#/alarms`);
    await page.getByText('· live').waitFor();
    const reason = `browser test alarm ${Date.now()}`;
    await call('POST', '/alarms', { alarm_id: '100.103', entity_instance_id: 'host=worker-0', severity: 'critical', reason_text: reason });
    await page.getByRole('cell', { name: reason }).waitFor({ timeout: 10_000 });
    await shot('04-alarms');
    await page.goto(`${url}/#/events`);
    await page.getByText(reason).first().waitFor();
    await shot('05-events');
  });

  test("a fleet strategy's progress bar moves while it applies", async () => {
    // Serial, so the subclouds finish one after another: in parallel they all finish within the
    // same few hundred ms and the bar may go from 0 to the end between two looks at it.
    await call('PATCH', '/subcloud-groups/rail-backbone', { update_apply_type: 'serial' });
    await call('POST', '/sw-update-strategy', { type: 'sw-deploy', release: 'demo-1.0.1', group: 'rail-backbone' });
    await page.goto(`${url}/#/strategies`);
    const bar = page.getByRole('progressbar', { name: 'fleet strategy subclouds complete' });
    await bar.waitFor();
    const total = Number(await bar.getAttribute('aria-valuemax'));
    assert.ok(total >= 4, `steps: ${total}`);
    assert.equal(await bar.getAttribute('aria-valuenow'), '0');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('button', { name: 'Yes, apply' }).click();
    const seen = new Set<string>();
    await until('the progress bar to reach the end', async () => {
      const now = (await bar.getAttribute('aria-valuenow'))!;
      seen.add(now);
      return now === String(total);
    }, 60_000, 200);
    assert.ok(seen.size >= 2, `the bar moved: ${[...seen].join(' → ')}`);
    await page.getByText('complete', { exact: true }).first().waitFor();
    await shot('06-strategies');
  });

  test('hosts, software, users and audit views render for an admin', async () => {
    await page.goto(`${url}/#/hosts`);
    await page.getByRole('link', { name: 'worker-0' }).waitFor();
    assert.ok((await page.getByRole('button', { name: 'Lock' }).count()) >= 1, 'an admin sees lock buttons');
    await shot('07-hosts');
    await page.getByRole('link', { name: 'worker-0' }).click();
    await page.getByText('NUMA node 1').first().waitFor();
    await shot('08-host-inventory');
    await page.goto(`${url}/#/software`);
    await page.getByRole('cell', { name: 'demo-1.0.1' }).waitFor();
    await shot('09-software');
    await page.goto(`${url}/#/users`);
    await page.getByRole('cell', { name: 'admin', exact: true }).first().waitFor();
    await shot('10-users');
    await page.goto(`${url}/#/audit`);
    await page.getByRole('cell', { name: /POST \/api\/v1\/sw-update-strategy/ }).first().waitFor();
    await shot('11-audit');
    await page.setViewportSize({ width: 420, height: 900 });
    await page.goto(`${url}/#/fleet`);
    await page.waitForSelector('canvas[data-tiles]');
    await shot('12-fleet-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('a reader sees no lock button and no control that changes anything', async () => {
    await call('POST', '/users', { name: 'viewer', role: 'reader', password: 'reader-password-1' });
    const dashboardToken = await page.evaluate<string | null>("sessionStorage.getItem('starling.token')");
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('User name').waitFor();
    const reused = await fetch(`${url}/api/v1/auth/whoami`, { headers: { authorization: `Bearer ${dashboardToken}` } });
    assert.equal(reused.status, 401, "the dashboard's Log out ends the session on the server");
    await logIn('viewer', 'reader-password-1');
    await page.goto(`${url}/#/hosts`);
    await page.getByRole('link', { name: 'worker-0' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^(Lock|Unlock|Swact|Reboot)$/ }).count(), 0);
    await shot('13-hosts-reader');
    await page.goto(`${url}/#/subclouds/rail-backbone-00001`);
    await page.getByText('Sync status per endpoint').waitFor();
    assert.equal(await page.getByRole('button', { name: /^(Manage|Unmanage)$/ }).count(), 0);
    await page.goto(`${url}/#/alarms`);
    await page.getByText('· live').waitFor();
    assert.equal(await page.getByRole('button', { name: /^(Suppress|Unsuppress)$/ }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'admin views are not offered');
  });

  test('the dashboard and the API docs work under their security headers, with no policy violation on any page visited', async () => {
    const res = await fetch(`${url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'the demo is plain HTTP: upgrading would break every call');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    await page.goto(`${url}/api/docs`);
    await page.getByText('Starling API').first().waitFor();
    await page.goto(`${url}/#/fleet`);
    await page.waitForSelector('canvas[data-tiles]');
    assert.deepEqual(cspViolations, []);
  });
});
