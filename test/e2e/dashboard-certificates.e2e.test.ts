/**
 * The Certificates view in a real browser over HTTPS: a real `starling serve
 * --role systemcontroller` and one real subcloud enrolled with it (it
 * reports its soonest certificate over mutual TLS, which simulated subclouds
 * do not). Chromium trusts the system controller's CA, read from
 * `<data-dir>/tls/ca.pem`, by pinning its key, and refuses the dashboard
 * without that. An admin sorts, renews and is refused an install naming the
 * field; the fleet summary links to the subcloud; a reader and an operator
 * see no control that changes anything. Screenshots as dashboard.e2e does.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserMissing, launchBrowser } from '../helpers/browser.js';
import { Site } from '../helpers/e2e-site.js';
import { startServe } from '../helpers/processes.js';
import { until } from '../helpers/until.js';

const SHOTS = process.env.STARLING_SCREENSHOTS ?? fileURLToPath(new URL('../../.test-output/screenshots', import.meta.url));
const PASSWORD = 'dash-certs-admin-pw';
const ENV = {
  STARLING_ADMIN_PASSWORD: PASSWORD,
  // The subcloud reports (and so shows up in the fleet summary) within a second.
  STARLING_REPORT_INTERVAL_MS: '1000',
  // One-year leaf certificates fall inside a 400-day 500.200 window, so the
  // view has rows in two expiry windows (CAs keep their 180 days: valid) and
  // the subcloud has an expiring certificate to count.
  STARLING_CERTIFICATE_ALARM_BEFORE_DAYS: '400',
};
const missing = browserMissing();

/** The one browser global these tests call; the tests' tsconfig has no DOM library. */
interface BrowserWindow {
  getComputedStyle(element: unknown): { backgroundColor: string };
}

describe('the Certificates view in chromium over HTTPS, on a system controller', { skip: missing }, () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-dash-certs-'));
  const children: ChildProcess[] = [];
  let central: Site;
  let caPem = '';
  let browser: Browser;
  let page: Page;

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const logIn = async (username: string, password: string) => {
    await page.goto(`${central.url}/`);
    await page.getByLabel('User name').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Views' }).waitFor();
  };
  const table = () => page.getByRole('table', { name: /Certificates held or issued/ });
  /** The certificate table's row for a certificate name (the first cell). */
  const row = (name: string) => table().locator('tbody tr', { has: page.locator('td:first-child', { hasText: new RegExp(`^${name}$`) }) });
  const names = () => table().locator('tbody tr td:first-child').allInnerTexts();
  const expiries = async () => (await table().locator('tbody tr td:nth-child(5) time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')!))).map(Date.parse);

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const served = await startServe(['--role', 'systemcontroller', '--system-name', 'central', '--data-dir', join(home, 'central')], ENV);
    children.push(served.child);
    assert.match(served.url, /^https:\/\//);
    central = new Site('central', served, PASSWORD);
    caPem = readFileSync(served.caFile!, 'utf8');
    const added = await central.ok('POST', '/api/v1/subclouds', { name: 'sc-1' }, 201);
    const [sc, launched] = await Promise.all([
      startServe(['--role', 'subcloud', '--system-name', 'sc-1', '--data-dir', join(home, 'sc-1'), '--system-controller', central.url, '--enroll-token', added.enroll_token], ENV),
      launchBrowser({ trustCa: caPem }),
    ]);
    children.push(sc.child);
    browser = launched;
    // Every certificate the view will list exists once the subcloud has reported, so the rows hold still.
    await until('sc-1 reporting its soonest certificate and its 500.200', async () => {
      const fleet = await central.ok('GET', '/api/v1/fleet/certificates?limit=10');
      return fleet.items[0]?.soonest && fleet.totals.subclouds_expiring === 1;
    }, 30_000);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    for (const c of children) c.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  test("chromium loads the dashboard over HTTPS trusting the controller's CA, and refuses it without", async () => {
    const plain = await launchBrowser();
    try {
      const untrusted = await plain.newPage();
      await assert.rejects(untrusted.goto(`${central.url}/`), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await plain.close();
    }
    const response = await page.goto(`${central.url}/`);
    assert.equal(response?.status(), 200);
    assert.equal(new URL(page.url()).protocol, 'https:');
    await page.getByLabel('User name').waitFor();
  });

  test('an admin sees the platform and fleet-root-ca rows by expiry window, and sorts by residual time both ways', async () => {
    await logIn('admin', PASSWORD);
    await page.getByRole('link', { name: 'Certificates' }).click();
    await row('platform').waitFor();
    assert.match(page.url(), /#\/certificates$/);

    // Colour and text agree: the one-year API certificate is inside its window, the CA is not.
    assert.equal(await row('platform').getAttribute('class'), 'expiry-expiring-soon');
    assert.equal(await row('platform').locator('.badge').innerText(), 'expiring-soon');
    assert.equal(await row('fleet-root-ca').getAttribute('class'), 'expiry-valid');
    assert.equal(await row('fleet-root-ca').locator('.badge').innerText(), 'valid');
    const tint = (name: string) => row(name).locator('td').nth(1).evaluate((td) => (globalThis as unknown as BrowserWindow).getComputedStyle(td).backgroundColor);
    assert.notEqual(await tint('platform'), await tint('fleet-root-ca'), 'the rows are coloured differently');

    const api = (await central.ok('GET', '/api/v1/certificates?limit=1000')).items.map((c: { name: string }) => c.name);
    assert.ok(api.length >= 4, `platform, fleet-root-ca and sc-1's two: ${api.join(', ')}`);
    const sort = page.getByRole('button', { name: /Residual time/ });
    const header = page.getByRole('columnheader', { name: /Residual time/ });
    assert.equal(await header.getAttribute('aria-sort'), 'ascending', 'soonest first by default');
    assert.deepEqual(await names(), api);
    const up = await expiries();
    assert.deepEqual(up, [...up].sort((a, b) => a - b), 'soonest expiry first');
    await shot('20-certificates');

    await sort.click();
    assert.equal(await header.getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await names(), [...api].reverse());
    const down = await expiries();
    assert.deepEqual(down, [...down].sort((a, b) => b - a), 'latest expiry first');
    assert.notDeepEqual(down, up);

    await sort.click();
    assert.equal(await header.getAttribute('aria-sort'), 'ascending');
    assert.deepEqual(await names(), api);
  });

  test('an admin renews the platform certificate and sees its dates move; a fresh connection still trusts it', async () => {
    await page.goto(`${central.url}/#/certificates`);
    const platform = row('platform');
    await platform.waitFor();
    const dates = () => platform.locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
    const [expiry, issued] = await dates();
    assert.equal(await page.getByRole('button', { name: 'Renew' }).count(), 1, 'only the API server certificate is renewed in place');
    await platform.getByRole('button', { name: 'Renew' }).click();
    await platform.getByRole('button', { name: 'Yes, renew' }).click();
    await until('the renewed dates in the table', async () => (await dates())[0] !== expiry);
    const [newExpiry, newIssued] = await dates();
    assert.ok(Date.parse(newExpiry!) > Date.parse(expiry!), `expiry ${expiry} → ${newExpiry}`);
    assert.ok(Date.parse(newIssued!) > Date.parse(issued!), `issued ${issued} → ${newIssued}`);
    assert.equal((await central.ok('GET', '/api/v1/certificates/platform')).expiry_date, newExpiry);

    // The listener serves the new certificate at once; a new browser context makes a new connection.
    const fresh = await browser.newPage();
    try {
      assert.equal((await fresh.goto(`${central.url}/`))?.status(), 200);
    } finally {
      await fresh.context().close();
    }
  });

  test('an install of garbage is refused naming the field and the reason, beside that field', async () => {
    await page.goto(`${central.url}/#/certificates`);
    const before = (await central.ok('GET', '/api/v1/certificates/platform')).fingerprint;
    const certificate = page.getByLabel(/^Certificate \(PEM/);
    const key = page.getByLabel('Private key (PEM)');
    const error = page.locator('#install-error').getByRole('alert');

    await certificate.fill('not a certificate');
    await key.fill('not a key');
    await page.getByRole('button', { name: 'Install' }).click();
    await error.filter({ hasText: 'certificate: no PEM certificate in the file' }).waitFor();
    assert.equal(await certificate.getAttribute('aria-invalid'), 'true');
    assert.equal(await key.getAttribute('aria-invalid'), null);

    // A real certificate (the CA's own) with a garbage key: now the key is at fault.
    await certificate.fill(caPem);
    await page.getByRole('button', { name: 'Install' }).click();
    await error.filter({ hasText: 'key: not a valid PEM private key' }).waitFor();
    assert.equal(await key.getAttribute('aria-invalid'), 'true');
    assert.equal(await certificate.getAttribute('aria-invalid'), null);
    await shot('21-certificate-install-refused');
    assert.equal((await central.ok('GET', '/api/v1/certificates/platform')).fingerprint, before, 'the running certificate stays');
  });

  test("the system controller's fleet summary counts the subcloud and links to it", async () => {
    await page.goto(`${central.url}/#/certificates`);
    await page.getByRole('heading', { name: "The fleet's certificates" }).waitFor();
    await page.getByTestId('fleet-reporting').filter({ hasText: /^1$/ }).waitFor();
    assert.equal(await page.getByTestId('fleet-expiring').innerText(), '1');
    assert.equal(await page.getByTestId('fleet-expired').innerText(), '0');
    const fleet = page.getByRole('table', { name: /subclouds whose certificates expire soonest/ });
    const sc = fleet.locator('tbody tr').first();
    assert.equal(await sc.getAttribute('class'), 'expiry-expiring-soon');
    assert.match(await sc.innerText(), /sc-1\s+online\s+expiring-soon\s+\S+ \((subcloud-client|subcloud-ica|platform)\)/);
    await shot('22-certificates-fleet');
    await fleet.getByRole('link', { name: 'sc-1' }).click();
    await page.getByRole('heading', { name: 'Subcloud sc-1' }).waitFor();
    assert.match(page.url(), /#\/subclouds\/sc-1$/);
  });

  test('a reader and an operator see the list but no Renew or Install control', async () => {
    for (const role of ['reader', 'operator'] as const) {
      const name = `cert-${role}`;
      await central.ok('POST', '/api/v1/users', { name, role, password: `${role}-password-1` }, 201);
      await page.getByRole('button', { name: 'Log out' }).click();
      await logIn(name, `${role}-password-1`);
      await page.goto(`${central.url}/#/certificates`);
      await row('platform').waitFor();
      await page.getByRole('heading', { name: "The fleet's certificates" }).waitFor();
      assert.equal(await page.getByRole('button', { name: /^(Renew|Install)$/ }).count(), 0, `${role}: no Renew or Install`);
      assert.equal(await page.getByRole('heading', { name: 'Install a certificate' }).count(), 0);
      assert.equal(await page.getByRole('columnheader', { name: 'Actions' }).count(), 0);
      if (role === 'reader') await shot('23-certificates-reader');
    }
  });
});
