import { beforeAll, describe, expect, it } from 'vitest';
import { seedDemo, type DemoSummary } from '../../scripts/seed-demo.js';
import type { TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, pageAppEnv, phoneWithToken, watchProblems } from '../support/browser.js';
import { useTestApp } from '../support/setup.js';

/** The desk with the demo programme: what an organiser of the demo sees on its first morning. */

let app: TestApp;
let demo: DemoSummary;
useTestApp({ env: await pageAppEnv(), scratch: true }, (started) => ({ app } = started));
beforeAll(async () => {
  demo = await seedDemo(app.deps, { volunteers: 40, activities: 12, wishes: 10, seed: 11 });
}, 180_000);

describe('the desk with the demo programme', () => {
  it("shows an organiser its area's volunteers, activities and a year of hours in charts", async () => {
    const organiser = demo.organisers[0]!;
    const browser = await launchBrowser();
    try {
      const page = await (await phoneWithToken(browser, app, 'organiser', organiser.id)).newPage();
      const problems = watchProblems(page);
      await page.goto(`${app.baseUrl}/app/desk`);
      expect(await page.locator('.lead').textContent()).toContain(organiser.unit);
      await page.goto(`${app.baseUrl}/app/desk/volunteers`);
      expect(await page.locator('#volunteers tbody tr').count()).toBeGreaterThan(0);
      await page.goto(`${app.baseUrl}/app/desk/reports`);
      expect(await page.locator('#hours-chart svg rect').count()).toBeGreaterThan(0);
      expect(await page.locator('#hours-chart table tbody tr').count()).toBe(12);
      expect(await page.locator('#type-chart table tbody tr').count()).toBeGreaterThan(0);
      await expectAccessible(page, 'desk reports with the demo');
      await page.goto(`${app.baseUrl}/app/desk/activities`);
      await expectAccessible(page, 'desk activities with the demo');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
