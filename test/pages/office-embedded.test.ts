import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, phoneWithToken } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { award } from '../support/ledger.js';
import { useTestApp } from '../support/setup.js';

/** The office on the embedded database (PGlite), as `npm start` runs it without DATABASE_URL. */

let app: TestApp;
let f: Factory;
useTestApp({ env: { DATABASE_URL: '', MIGRATE_ON_START: 'true' }, ledgerSound: true }, (started) => ({ app, f } = started));

describe('the office on embedded PostgreSQL', () => {
  it('pays a shop, draws the summary and checks the ledger', async () => {
    expect(app.deps.database.kind).toBe('pglite');
    const unit = await f.orgUnit();
    const volunteer = await f.volunteer(unit.id);
    const shop = await f.merchant(unit.id, '社区食堂');
    const pack = await f.pack(shop.id, { points: 40 });
    await award(app, f.adminToken, volunteer.id, 200);
    for (let i = 0; i < 2; i++) {
      const claim = await app.request('POST', '/v1/redemptions', { token: await app.token('volunteer', volunteer.id), body: { packId: pack.id } });
      expect((await app.request('POST', '/v1/redemptions/redeem', { token: await app.token('merchant', shop.id), body: { token: claim.body.token } })).status).toBe(200);
    }
    const browser = await launchBrowser();
    try {
      const page = await (await phoneWithToken(browser, app, 'admin', 'office')).newPage();
      await page.goto(`${app.baseUrl}/app/office/shops/${shop.id}`);
      expect(await page.locator('#owed').textContent()).toBe('80 分');
      await page.fill('#points', '30');
      await page.fill('#reference', 'PGLITE-001');
      await page.click('#settle-form button[type="submit"]');
      await expect.poll(() => page.locator('#settled').count()).toBe(1);
      expect(await page.locator('#owed').textContent()).toBe('50 分');
      expect((await app.request('GET', `/v1/merchants/${shop.id}/settlement`, { token: f.adminToken })).body.owed).toBe(50);

      await page.goto(`${app.baseUrl}/app/office/summary`);
      expect(await page.locator('#chart-shops tbody tr').count()).toBe(1);
      expect(await page.locator('#chart-shops tbody td').textContent()).toBe('80');
      await expectAccessible(page, 'office summary on PGlite');

      await page.goto(`${app.baseUrl}/app/office/ledger`);
      await page.click('#verify-form button[type="submit"]');
      await expect.poll(() => page.locator('#verify-result-title').textContent()).toBe('账本核对无误');
    } finally {
      await browser.close();
    }
  });
});
