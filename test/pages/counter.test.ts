import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, newPhone, pageAppEnv, screenshot, signInWithLink, watchProblems } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { award } from '../support/ledger.js';
import { useTestApp } from '../support/setup.js';
import { counterJourney } from './journey.js';

let app: TestApp;
let f: Factory;
useTestApp({ env: await pageAppEnv(), ledgerSound: true, packsSound: true }, (started) => ({ app, f } = started));

/** Page weights measured along the way, printed for docs/pages.md. */
const weights: [string, number][] = [];

describe('the counter on PostgreSQL', () => {
  it('scans the wallet’s QR code from the camera: green, the wallet shows it redeemed, again the same, another shop red', { timeout: 180_000 }, async () => {
    await counterJourney(app, f, { screenshots: true, weights: (name, bytes) => weights.push([name, bytes]) });
    process.stdout.write(`page weights:\n${weights.map(([n, b]) => `  ${n}: ${(b / 1024).toFixed(1)} KB`).join('\n')}\n`);
  });

  it('takes a barcode scanner typing into the field, a typed short code, and shows the settlement statement', { timeout: 120_000 }, async () => {
    const unit = await f.orgUnit();
    const volunteer = await f.volunteer(unit.id, { name: 'Alice Smith' });
    await award(app, f.adminToken, volunteer.id, 500);
    const shop = await f.merchant(undefined, '便民超市');
    const pack = await f.pack(shop.id, { title: '鸡蛋一盒', points: 25 });
    const volunteerToken = await app.token('volunteer', volunteer.id);
    const claim = async () => (await app.request('POST', '/v1/redemptions', { token: volunteerToken, body: { packId: pack.id } })).body;
    const first = await claim();
    const second = await claim();
    const expired = await app.request('POST', `/v1/redemptions/${(await claim()).id}/cancel`, { token: volunteerToken });
    expect(expired.status).toBe(200);

    const browser = await launchBrowser();
    try {
      const page = await (await newPhone(browser, { locale: 'en-GB' })).newPage();
      const problems = watchProblems(page);
      await signInWithLink(page, app, f.adminToken, { role: 'merchant', principalId: shop.id });
      expect(await page.locator('h1').textContent()).toBe('Shop counter');
      // A USB barcode scanner types the whole code into the focused field and presses Enter.
      await page.locator('#code').focus();
      await page.keyboard.type(first.token, { delay: 0 });
      await page.keyboard.press('Enter');
      await page.waitForURL(/redeemed=/);
      expect(await page.locator('#answer .outcome-title').textContent()).toBe('Redeemed：鸡蛋一盒');
      expect(await page.locator('#answer').textContent()).toContain('A**** S****');
      // The short code printed under the QR, typed by hand in lower case with its dash.
      const typed = `${second.shortCode.slice(0, 4)}-${second.shortCode.slice(4)}`.toLowerCase();
      await page.locator('#code').fill(typed);
      await page.getByRole('button', { name: 'Redeem' }).click();
      await page.waitForURL(new RegExp(`redeemed=${second.id}`));
      expect(await page.locator('#today tbody tr').count()).toBe(2);
      // Nothing typed, a cancelled claim's code, and nonsense: red, each with its reason.
      await page.getByRole('button', { name: 'Redeem' }).click();
      await page.waitForURL(/refused=empty/);
      expect(await page.locator('#answer-reason').textContent()).toBe('Scan or type a code first.');
      await page.locator('#code').fill('not a code');
      await page.getByRole('button', { name: 'Redeem' }).click();
      await page.waitForURL(/refused=token_invalid/);
      expect(await page.locator('#answer-reason').textContent()).toBe('This is not a valid code. Scan it again, or check what was typed.');

      await page.getByRole('link', { name: 'Settlement statement' }).click();
      expect(await page.locator('#redeemed-in-period').textContent()).toBe('2, 50 points');
      expect(await page.locator('#owed-now').textContent()).toBe('50 points');
      expect(await page.locator('#period-redemptions tbody tr').count()).toBe(2);
      await expectAccessible(page, 'settlement');
      await page.locator('#from').fill('2026-13-01');
      await page.getByRole('button', { name: 'Show' }).click();
      expect(await page.locator('#from-error').textContent()).toContain('Enter the date as year-month-day');
      await expectAccessible(page, 'settlement with an error');
      expect(problems.filter((p) => !/status of (400|422)/.test(p))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('keeps the settlement statement in Chinese for the screenshots', async () => {
    const shop = await f.merchant(undefined, '幸福理发店');
    const browser = await launchBrowser();
    try {
      const page = await (await newPhone(browser)).newPage();
      await signInWithLink(page, app, f.adminToken, { role: 'merchant', principalId: shop.id });
      await page.goto(`${app.baseUrl}/app/counter/settlement`);
      await expectAccessible(page, 'settlement (zh-CN)');
      await screenshot(page, 'counter-settlement');
    } finally {
      await browser.close();
    }
  });
});
