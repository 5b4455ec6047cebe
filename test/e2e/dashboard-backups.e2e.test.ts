/**
 * The Backups view in a real browser over HTTPS, against a real `starling
 * serve`: an admin backs up (the list shows it to complete, with its
 * lifetime), is refused a bad lifetime and a bad cron beside the field the
 * server named, creates, pauses, resumes and deletes a schedule, and
 * deletes a backup after confirming; a reader sees the lists and no
 * control. Screenshots as dashboard.e2e does.
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

const SHOTS = process.env.STARLING_SCREENSHOTS ?? fileURLToPath(new URL('../../.test-output/screenshots', import.meta.url));
const PASSWORD = 'dash-backups-admin-pw';
const missing = browserMissing();

describe('the Backups view in chromium over HTTPS', { skip: missing }, () => {
  const home = mkdtempSync(join(tmpdir(), 'starling-dash-backups-'));
  const children: ChildProcess[] = [];
  let site: Site;
  let browser: Browser;
  let page: Page;

  const logIn = async (username: string, password: string) => {
    await page.goto(`${site.url}/#/backups`);
    await page.getByLabel('User name').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Backups', level: 1 }).waitFor();
  };
  const backups = () => page.getByRole('table', { name: /Platform backups on this controller/ });
  const schedules = () => page.getByRole('table', { name: /Backup schedules/ });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const served = await startServe(['--data-dir', join(home, 'data')], { STARLING_ADMIN_PASSWORD: PASSWORD });
    children.push(served.child);
    site = new Site('site', served, PASSWORD);
    await site.ok('POST', '/api/v1/users', { name: 'rita', role: 'reader', password: 'rita-reader-pw-1' }, 201);
    browser = await launchBrowser({ trustCa: readFileSync(served.caFile!, 'utf8') });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    for (const c of children) c.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  test('an admin backs up, schedules, pauses, resumes, deletes; refusals stand beside their field', async () => {
    await logIn('admin', PASSWORD);
    const now = page.getByRole('form', { name: 'Back up now' });
    await now.getByLabel(/Lifetime/).fill('a fortnight');
    await now.getByRole('button', { name: 'Back up' }).click();
    await page.getByRole('alert').getByText(/^ttl: "a fortnight" is not a duration/).waitFor();
    assert.equal(await now.getByLabel(/Lifetime/).getAttribute('aria-invalid'), 'true');

    await now.getByLabel(/Passphrase/).fill('dashboard backup passphrase');
    await now.getByLabel(/Lifetime/).fill('7d');
    await now.getByRole('button', { name: 'Back up' }).click();
    const row = backups().locator('tbody tr').first();
    await row.getByText('complete').waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /sealed/);
    assert.doesNotMatch(await row.locator('td').nth(6).innerText(), /never/, 'a 7-day backup shows when it expires');
    assert.equal(await now.getByLabel(/Passphrase/).inputValue(), '', 'the passphrase is not kept in the form');

    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Name').fill('nightly');
    await form.getByLabel(/Cron/).fill('0 27 * * *');
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await page.getByText(/cron: .*hour/i).waitFor();
    assert.equal(await form.getByLabel(/Cron/).getAttribute('aria-invalid'), 'true');
    await form.getByLabel(/Cron/).fill('0 3 * * *');
    await form.getByLabel(/Keep/).fill('7');
    await form.getByLabel(/Lifetime/).fill('30d');
    await form.getByRole('button', { name: 'Create schedule' }).click();
    const nightly = schedules().locator('tbody tr', { hasText: 'nightly' });
    await nightly.getByText('active').waitFor();
    assert.match(await nightly.innerText(), /0 3 \* \* \*\s+7\s+30d/);
    await page.screenshot({ path: join(SHOTS, 'backups-admin.png'), fullPage: true });

    await nightly.getByRole('button', { name: 'Pause' }).click();
    await nightly.getByText('paused').waitFor();
    await nightly.getByRole('button', { name: 'Resume' }).click();
    await nightly.getByText('active').waitFor();
    await nightly.getByRole('button', { name: 'Delete' }).click();
    await nightly.getByRole('button', { name: 'Yes, delete' }).click();
    await schedules().getByText('No schedules.').waitFor();
    assert.equal((await site.ok('GET', '/api/v1/backup-schedules')).items.length, 0);

    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await backups().getByText('No backups yet.').waitFor();
  });

  test('a reader sees the lists and no control', async () => {
    await site.ok('POST', '/api/v1/backups', {}, 202);
    await page.evaluate('sessionStorage.clear()');
    await logIn('rita', 'rita-reader-pw-1');
    await backups().locator('tbody tr').first().getByText('complete').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('button', { name: /Delete|Back up|Create schedule|Pause|Resume/ }).count(), 0);
    assert.equal(await page.getByRole('form').count(), 0);
  });
});
