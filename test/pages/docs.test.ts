import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { TestApp } from '../support/app.js';
import { launchBrowser, watchProblems } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { useTestApp } from '../support/setup.js';

let app: TestApp;
let f: Factory;
useTestApp({}, (started) => ({ app, f } = started));

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('the API reference at /docs under the Content-Security-Policy', () => {
  it('renders every operation and runs one with a token, with no policy violation, and keeps no token in storage', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watchProblems(page);
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
    await page.addInitScript(() => {
      const g = globalThis as any;
      g.document.addEventListener('securitypolicyviolation', (e: any) => g.reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await page.goto(`${app.baseUrl}/docs`);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.locator('.opblock-summary-path', { hasText: '/v1/org-units' }).first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(50);

    // Authorize with a bearer token and try GET /healthz's neighbour /v1/org-units from the page.
    await page.locator('button.authorize').first().click();
    // The modal offers each security scheme (bearer, then the session cookie) in a box of its own.
    const bearer = page.locator('.modal-ux .auth-container').filter({ hasText: 'bearer' }).first();
    await bearer.locator('input[type=text]').fill(f.adminToken);
    await bearer.locator('button.authorize').click();
    await page.locator('.modal-ux button.btn-done').first().click();
    const operation = page.locator('#operations-default-getV1OrgUnits, [id$="getV1OrgUnits"]').first();
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    await operation.locator('.live-responses-table .response-col_status', { hasText: '200' }).first().waitFor();

    const stored = await page.evaluate(() => JSON.stringify({ ...(globalThis as unknown as { localStorage: Record<string, string> }).localStorage }));
    expect(stored).not.toContain(f.adminToken.slice(0, 40));
    expect(violations).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
