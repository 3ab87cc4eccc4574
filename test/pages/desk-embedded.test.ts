import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, pageAppEnv, phoneWithToken, watchProblems } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { recordHelpers } from '../support/records.js';
import { useTestApp } from '../support/setup.js';

/**
 * The desk on the embedded database (PGlite), as `npm start` runs it without DATABASE_URL: finding
 * a volunteer by phone, a sheet previewed and entered once, the projected code, the reports.
 */

let app: TestApp;
let f: Factory;
useTestApp({ env: await pageAppEnv({ DATABASE_URL: '', MIGRATE_ON_START: 'true' }), ledgerSound: true }, (started) => ({ app, f } = started));
const { volunteers, balance } = recordHelpers(() => ({ app, f }));

describe('the desk on embedded PostgreSQL', () => {
  it('finds, enters a sheet once, projects the code and reports', async () => {
    expect(app.deps.database.kind).toBe('pglite');
    const tree = await f.tree();
    const organiser = await f.organiser(tree.streetA.id);
    const wang = await f.volunteer(tree.community.id, { name: '王秀英', phone: '+86 138-0013-8000' });
    const others = await volunteers(tree.community.id, 3);
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const activity = await f.activity(tree.community.id, type.code, { title: '嵌入式数据库上的活动' });
    const browser = await launchBrowser();
    try {
      const context = await phoneWithToken(browser, app, 'organiser', organiser.id);
      const page = await context.newPage();
      const problems = watchProblems(page);
      await page.goto(`${app.baseUrl}/app/desk/volunteers?q=${encodeURIComponent('0013 8000')}`);
      expect(await page.locator('#volunteers tbody').innerText()).toContain('王秀英');

      await page.goto(`${app.baseUrl}/app/desk/hours/bulk?activityId=${activity.id}`);
      // CSV this time, matched by phone for one row and by name for the others.
      await page.locator('#sheet').fill(['姓名,手机,分钟', ',13800138000,120', ...others.map((o) => `${o.name},,60`)].join('\n'));
      await page.getByRole('button', { name: '预览' }).click();
      await expect.poll(() => page.locator('#preview-outcome').textContent()).toContain('4 行都能对上志愿者');
      await page.locator('#submit-sheet').dblclick();
      await expect.poll(() => page.locator('#bulk-done').count()).toBe(1);
      expect((await balance(wang.id)).balance).toBe(20);
      expect((await balance(others[0]!.id)).balance).toBe(10);

      await page.goto(`${app.baseUrl}/app/desk/activities/${activity.id}/check-in`);
      expect(await page.locator('#code').textContent()).toMatch(/^\s*[0-9]{6}\s*$/);
      await page.goto(`${app.baseUrl}/app/desk/reports`);
      expect(await page.locator('#type-chart table').innerText()).toContain(`type ${type.code}`);
      await expectAccessible(page, 'desk reports on PGlite');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
