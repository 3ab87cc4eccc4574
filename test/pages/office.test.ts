import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo, type DemoSummary } from '../../scripts/seed-demo.js';
import type { TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, phoneWithToken, screenshot, watchProblems } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { useTestApp } from '../support/setup.js';

/**
 * The programme office in a real browser, on the seeded demo programme (a database of its own):
 * the summary's charts, paying a shop, checking the ledger and recording its digest, shaping the
 * organisation and the catalogue, and nobody but an admin getting in.
 */

let app: TestApp;
let f: Factory;
let demo: DemoSummary;
let browser: Browser;
let office: BrowserContext;
let page: Page;
let problems: string[];

useTestApp({ scratch: true, ledgerSound: true }, (started) => ({ app, f } = started));

beforeAll(async () => {
  demo = await seedDemo(app.deps, { volunteers: 40, activities: 12, wishes: 10, seed: 11 });
  browser = await launchBrowser();
  office = await phoneWithToken(browser, app, 'admin', 'office');
  page = await office.newPage();
  problems = watchProblems(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
});

const api = async (path: string) => {
  const res = await app.request('GET', path, { token: f.adminToken });
  expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
};
const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
const number = (s: string) => Number(s.replace(/[^\d-]/g, ''));

describe('the programme office', () => {
  it('opens on the programme position and every section', async () => {
    await page.goto(`${app.baseUrl}/app/office`);
    expect(await text('h1')).toBe('项目办公室');
    const totals = await api('/v1/ledger/totals');
    expect(number(await text('#outstanding'))).toBe(totals.outstanding);
    expect(number(await text('#owed'))).toBe(totals.owedToMerchants);
    expect(await page.locator('.office-nav a').count()).toBe(8);
    await expectAccessible(page, 'office home');
    await screenshot(page, 'office-home');
  });

  it('draws the summary as charts with the same figures in tables, from the seeded demo', async () => {
    await page.goto(`${app.baseUrl}/app/office/summary`);
    expect(await text('h1')).toBe('项目概况');
    const summary = await api('/v1/reports/summary?period=month');
    expect(number(await text('#points-issued'))).toBe(summary.points.issued);
    expect(number(await text('#points-outstanding'))).toBe(summary.points.outstanding);
    // Five charts, each an image with a title and a description, and a table beside it.
    const charts = page.locator('figure.chart');
    expect(await charts.count()).toBe(5);
    for (const id of ['chart-hours-months', 'chart-points-months', 'chart-shops', 'chart-stars', 'chart-types']) {
      const svg = page.locator(`#${id} svg[role="img"]`);
      expect(await svg.count(), id).toBe(1);
      expect(await page.locator(`#${id}-title`).textContent(), id).not.toBe('');
      expect(((await page.locator(`#${id}-desc`).textContent()) ?? '').length, id).toBeGreaterThan(10);
      expect(await page.locator(`#${id} table tbody tr`).count(), id).toBeGreaterThan(0);
      // The drawing has marks: bars, columns or a line.
      expect(await page.locator(`#${id} svg.chart-svg rect, #${id} svg.chart-svg polyline`).count(), id).toBeGreaterThan(0);
    }
    // The shops chart's table says what the API says each shop redeemed this month.
    const byShop = new Map<string, number>();
    for (const r of summary.redemptions) byShop.set(r.merchantName, (byShop.get(r.merchantName) ?? 0) + r.points);
    const rows = await page.locator('#chart-shops tbody tr').evaluateAll((trs) => trs.map((tr) => [(tr as any).cells[0].textContent, (tr as any).cells[1].textContent]));
    expect(new Map(rows.map(([name, points]) => [name, number(points)]))).toEqual(byShop);
    // Star levels add up to the active volunteers.
    const stars = await api('/v1/reports/star-levels');
    const starRows = await page.locator('#chart-stars tbody td').allTextContents();
    expect(starRows.map(number)).toEqual(stars.items.map((s: { volunteers: number }) => s.volunteers));
    // Fits a 390 px phone: nothing wider than the viewport but the tables, which scroll.
    const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(390);
    await expectAccessible(page, 'office summary');
    await screenshot(page, 'office-summary');
    await page.locator('#chart-hours-months').scrollIntoViewIfNeeded();
    await screenshot(page, 'office-summary-chart');

    // Each export is a CSV the spreadsheet opens.
    for (const link of await page.locator('a[download]').all()) {
      const href = (await link.getAttribute('href'))!;
      const response = await office.request.get(`${app.baseUrl}${href}`);
      expect(response.status(), href).toBe(200);
      expect(response.headers()['content-type'], href).toBe('text/csv; charset=utf-8');
      expect((await response.body()).subarray(0, 3), href).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    }
  });

  it('records a payment to a shop, and what the shop is owed falls by it', async () => {
    const owedBefore = await Promise.all(demo.merchants.map(async (m) => ({ ...m, owed: (await api(`/v1/merchants/${m.id}/settlement`)).owed as number })));
    const shop = owedBefore.sort((a, b) => b.owed - a.owed)[0]!;
    expect(shop.owed).toBeGreaterThan(10);
    await page.goto(`${app.baseUrl}/app/office/shops`);
    expect(number(await text(`[data-owed="${shop.id}"]`))).toBe(shop.owed);
    await expectAccessible(page, 'office shops');
    await screenshot(page, 'office-shops');
    await page.getByRole('link', { name: shop.name }).click();
    expect(number(await text('#owed'))).toBe(shop.owed);

    // Refused in words next to the fields, and nothing written.
    await page.fill('#points', String(shop.owed + 1));
    await page.fill('#reference', '');
    await page.click('#settle-form button[type="submit"]');
    await expect.poll(() => page.locator('.error-summary').count()).toBe(1);
    expect(await text('#reference-error')).toContain('流水号');
    await page.fill('#reference', 'ICBC-20261206-0001');
    await page.click('#settle-form button[type="submit"]');
    await expect.poll(() => text('#points-error')).toContain(`超过了现在应付的 ${shop.owed} 分`);
    expect((await api(`/v1/merchants/${shop.id}/settlement`)).owed).toBe(shop.owed);
    await expectAccessible(page, 'office shop with errors');

    const paid = Math.floor(shop.owed / 2);
    await page.fill('#points', String(paid));
    await page.click('#settle-form button[type="submit"]');
    await expect.poll(() => page.locator('#settled').count()).toBe(1);
    expect(await text('#settled')).toContain('ICBC-20261206-0001');
    expect(number(await text('#owed'))).toBe(shop.owed - paid);
    const after = await api(`/v1/merchants/${shop.id}/settlement`);
    expect(after.owed).toBe(shop.owed - paid);
    // The statement shows the payment as a line, and closes at what is owed now.
    expect(await page.locator('#statement-lines tbody tr', { hasText: 'ICBC-20261206-0001' }).count()).toBe(1);
    expect(number(await text('#closing-owed'))).toBe(shop.owed - paid);
    await expectAccessible(page, 'office shop after a payment');
    await screenshot(page, 'office-shop');

    // The same form sent twice (a double click, a resend) records one payment.
    const key = randomUUID();
    const form = { points: '1', reference: 'ICBC-20261206-0002', key };
    const headers = { origin: app.baseUrl };
    const first = await office.request.post(`${app.baseUrl}/app/office/shops/${shop.id}/settlements`, { form, headers, maxRedirects: 0 });
    const second = await office.request.post(`${app.baseUrl}/app/office/shops/${shop.id}/settlements`, { form, headers, maxRedirects: 0 });
    expect([first.status(), second.status()]).toEqual([303, 303]);
    expect(second.headers().location).toBe(first.headers().location);
    expect((await api(`/v1/merchants/${shop.id}/settlement`)).owed).toBe(shop.owed - paid - 1);
    // A form from another site is refused before it is read.
    const forged = await office.request.post(`${app.baseUrl}/app/office/shops/${shop.id}/settlements`, { form: { points: '1', reference: 'FORGED', key: randomUUID() }, headers: { origin: 'https://evil.example' }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect((await api(`/v1/merchants/${shop.id}/settlement`)).owed).toBe(shop.owed - paid - 1);
  });

  it('checks the ledger and shows the result, and records today’s digest for the auditor', async () => {
    await page.goto(`${app.baseUrl}/app/office/ledger`);
    await page.click('#verify-form button[type="submit"]');
    await expect.poll(() => text('#verify-result-title')).toBe('账本核对无误');
    const verify = await api('/v1/ledger/verify');
    expect(await text('#verify-result')).toContain(new Intl.NumberFormat('zh-CN').format(verify.entriesChecked));
    await expectAccessible(page, 'office ledger after a check');
    await screenshot(page, 'office-ledger');

    await page.click('#digest-form button[type="submit"]');
    await expect.poll(() => page.locator('#digest-check-title').count()).toBe(1);
    expect(await text('#digest-check-title')).toContain('复核一致');
    const [record] = (await api('/v1/ledger/digests')).items;
    expect((await text('#digest-value')).replaceAll(' ', '')).toBe(record.digest);
    await expectAccessible(page, 'office digest record');
    await screenshot(page, 'office-digest');
    // Pressing it again the same day leads to the same record.
    await page.goto(`${app.baseUrl}/app/office/ledger`);
    await page.click('#digest-form button[type="submit"]');
    await expect.poll(() => page.url()).toBe(`${app.baseUrl}/app/office/ledger/digests/${record.id}`);
    expect((await api('/v1/ledger/digests')).items).toHaveLength(1);
  });

  it('adds a unit to the tree, registers and deactivates an organiser, and shapes types and packs', async () => {
    await page.goto(`${app.baseUrl}/app/office/units`);
    await page.fill('#name', '');
    await page.click('#unit-form button[type="submit"]');
    await expect.poll(() => page.locator('#name-error').count()).toBe(1);
    const parent = await page.locator('#parentId option').nth(1).getAttribute('value');
    await page.fill('#name', '幸福里网格');
    await page.selectOption('#parentId', parent!);
    await page.click('#unit-form button[type="submit"]');
    await expect.poll(() => text('#added')).toContain('幸福里网格');
    expect(await page.locator('#unit-tree li', { hasText: '幸福里网格' }).count()).toBeGreaterThan(0);
    const units = (await api(`/v1/org-units?parentId=${parent}&limit=200`)).items;
    const grid = units.find((u: { name: string }) => u.name === '幸福里网格');
    expect(grid).toBeTruthy();
    await expectAccessible(page, 'office units');
    await screenshot(page, 'office-units');

    await page.goto(`${app.baseUrl}/app/office/organisers`);
    await page.fill('#name', '网格员 周敏');
    await page.selectOption('#orgUnitId', grid.id);
    await page.click('#register-form button[type="submit"]');
    await expect.poll(() => text('#done')).toContain('周敏');
    const organisers = (await api(`/v1/organisers?orgUnitId=${grid.id}`)).items;
    expect(organisers).toHaveLength(1);
    await expectAccessible(page, 'office organisers');
    await screenshot(page, 'office-organisers');
    await page.getByRole('button', { name: '停用：网格员 周敏' }).click();
    await expect.poll(() => text('#done')).toContain('已停用');
    expect((await api(`/v1/organisers/${organisers[0].id}`)).status).toBe('inactive');

    await page.goto(`${app.baseUrl}/app/office/types`);
    await page.fill('#name', '助老陪诊');
    await page.fill('#code', 'escort');
    await page.selectOption('#kind', 'per_hour');
    await page.fill('#points', '12');
    await page.click('#type-form button[type="submit"]');
    await expect.poll(() => text('#added')).toContain('助老陪诊');
    await page.getByRole('link', { name: '助老陪诊' }).click();
    await page.fill('#points', '15');
    await page.click('#rule-form button[type="submit"]');
    await expect.poll(() => text('#changed')).toContain('第 2 版');
    expect(await text('#rule-now')).toBe('每小时 15 分');
    expect((await api('/v1/activity-types/escort/rules')).items.map((r: { version: number; points: number }) => [r.version, r.points])).toEqual([
      [2, 15],
      [1, 12],
    ]);
    await expectAccessible(page, 'office activity type');

    const shop = demo.merchants[0]!;
    await page.goto(`${app.baseUrl}/app/office/packs?merchant=${shop.id}`);
    await page.selectOption('#merchantId', shop.id);
    await page.fill('#title', '重阳节理发');
    await page.fill('#points', '25');
    await page.fill('#stock', '30');
    await page.fill('#from', '2026-10-01');
    await page.fill('#until', '2026-09-01');
    await page.click('#pack-form button[type="submit"]');
    await expect.poll(() => page.locator('#until-error').count()).toBe(1);
    await page.fill('#until', '2026-10-31');
    await page.click('#pack-form button[type="submit"]');
    await expect.poll(() => text('#done')).toContain('重阳节理发');
    await expectAccessible(page, 'office packs');
    await screenshot(page, 'office-packs');
    await page.getByRole('link', { name: '重阳节理发' }).click();
    expect(await text('#pack-window')).toBe('2026-10-01 – 2026-10-31');
    await page.fill('#until', '2026-11-15');
    await page.selectOption('#status', 'paused');
    await page.click('#edit-form button[type="submit"]');
    await expect.poll(() => text('#pack-status')).toBe('暂停');
    const packs = (await api(`/v1/merchants/${shop.id}/packs?status=paused`)).items;
    const pack = packs.find((p: { title: string }) => p.title === '重阳节理发');
    expect(pack).toMatchObject({ points: 25, stock: 30, validFrom: '2026-09-30T16:00:00.000Z', validUntil: '2026-11-15T16:00:00.000Z' });
    // A refused form is answered 400 or 409 on purpose (the form again, errors in words), which
    // Chromium notes in the console; anything else the console says is a problem.
    expect(problems.filter((p) => !/the server responded with a status of (400|409)/.test(p))).toEqual([]);
  });

  it('hands out sign-in codes: a link for an organiser, a counter code for a shop, each signing in once', async () => {
    for (const [kind, role, person] of [
      ['organisers', 'organiser', demo.organisers[0]!],
      ['merchants', 'merchant', demo.merchants[0]!],
    ] as const) {
      await page.goto(`${app.baseUrl}/app/office/${kind}`);
      await page.getByRole('button', { name: `${kind === 'organisers' ? '登录链接' : '柜台登录码'}：${person.name}` }).click();
      await expect.poll(() => page.locator('#sign-in-code').count()).toBe(1);
      const code = await text('#sign-in-code');
      expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
      expect(await text('#sign-in-url')).toBe(`${app.deps.config.PUBLIC_URL}/app/sign-in?code=${code}`);
      expect(await page.locator('#sign-in-qr svg').count()).toBe(1);
      await expectAccessible(page, `office ${kind} sign-in code`);
      await screenshot(page, `office-${kind}-code`);
      const signedIn = await app.request('POST', '/v1/sessions', { body: { code } });
      expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(201);
      expect(signedIn.body.principal).toMatchObject({ role, id: person.id });
      expect((await app.request('POST', '/v1/sessions', { body: { code } })).status).toBe(401);
    }
  });

  it('answers bad addresses and bad forms with a page in words, never a 500, and writes nothing', async () => {
    const headers = { authorization: `Bearer ${f.adminToken}`, origin: app.baseUrl };
    const get = (path: string) => fetch(`${app.baseUrl}${path}`, { headers, redirect: 'manual' });
    const post = (path: string, body: string, type = 'application/x-www-form-urlencoded') =>
      fetch(`${app.baseUrl}${path}`, { method: 'POST', headers: { ...headers, 'content-type': type }, body, redirect: 'manual' });
    const totals = await api('/v1/ledger/totals');
    const missing = '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f';
    const expectations: [Promise<Response>, number][] = [
      [get('/app/office/shops/not-a-shop'), 404],
      [get(`/app/office/shops/${missing}`), 404],
      [get(`/app/office/shops/${demo.merchants[0]!.id}?from=2026-13-01&to=x`), 200],
      [get('/app/office/summary?at=2026-02-30x&period=decade'), 400],
      [get('/app/office/exports/merchants.csv?from=yesterday'), 400],
      [get(`/app/office/shops/${missing}/statement.csv`), 404],
      [get('/app/office/ledger/digests/not-an-id'), 404],
      [get(`/app/office/ledger/digests/${missing}`), 404],
      [get('/app/office/types/NOT%20A%20CODE'), 404],
      [get('/app/office/types/no-such-type'), 404],
      [get(`/app/office/packs/${missing}`), 404],
      [get('/app/office/packs?merchant=%00'), 200],
      [get('/app/office/organisers?cursor=%FF%FE'), 400],
      [post(`/app/office/shops/${demo.merchants[0]!.id}/settlements`, 'points=1e9&reference=%00&key=../../x'), 400],
      [post(`/app/office/shops/${demo.merchants[0]!.id}/settlements`, 'points=-5&reference=x'), 400],
      [post(`/app/office/shops/${missing}/settlements`, 'points=1&reference=x'), 404],
      [post('/app/office/units', `name=${'长'.repeat(300)}&parentId=nonsense`), 400],
      [post('/app/office/units', `name=x&parentId=${missing}`), 400],
      [post('/app/office/organisers', 'name=&orgUnitId='), 400],
      [post('/app/office/merchants', `name=x&orgUnitId=${missing}`), 400],
      [post('/app/office/types', 'code=BAD CODE&name=&kind=weekly&points=0'), 400],
      [post('/app/office/types/no-such-type/rules', 'kind=fixed&points=5'), 404],
      [post('/app/office/packs', `merchantId=${missing}&title=x&points=5`), 400],
      [post(`/app/office/packs/${missing}`, 'title=x&status=active'), 404],
      [post(`/app/office/organisers/${missing}/deactivate`, ''), 404],
      [post(`/app/office/merchants/${missing}/sign-in-code`, ''), 404],
      [post('/app/office/units', '{"name":"json"}', 'application/json'), 415],
      [post('/app/office/units', `name=${'x'.repeat(20_000)}`), 413],
    ];
    for (const [response, status] of expectations) {
      const res = await response;
      expect(res.status, res.url).toBe(status);
      expect(res.headers.get('content-type'), res.url).toMatch(/^text\/html/);
      expect(await res.text(), res.url).toContain('<h1');
    }
    expect(await api('/v1/ledger/totals')).toEqual(totals);
  });

  it('is in English for an English browser, and refuses everyone who is not an admin', async () => {
    const english = await phoneWithToken(browser, app, 'admin', 'office', { locale: 'en-GB' });
    const en = await english.newPage();
    await en.goto(`${app.baseUrl}/app/office/summary`);
    expect(await en.locator('h1').textContent()).toBe('Programme summary');
    expect(await en.locator('#chart-points-months-title').textContent()).toBe('Points issued and redeemed by month');
    await expectAccessible(en, 'office summary (en)');
    await screenshot(en, 'office-summary-en');
    // Large text: every tap target at least 60 px, text at least 24 px, still accessible.
    await en.goto(`${app.baseUrl}/app/office/organisers`);
    await en.getByRole('link', { name: 'Switch to large text' }).click();
    await expect.poll(() => en.locator('html').getAttribute('class')).toBe('large');
    const smallest = await en.locator('.button, .office-nav a, .nav-link').evaluateAll((els) => Math.min(...els.map((e) => (e as any).getBoundingClientRect().height)));
    expect(smallest).toBeGreaterThanOrEqual(60);
    await expectAccessible(en, 'office organisers (en, large text)');
    await screenshot(en, 'office-organisers-large-en');
    await english.close();

    const organiser = demo.organisers[0]!;
    for (const [role, id] of [
      ['organiser', organiser.id],
      ['volunteer', demo.featuredVolunteer.id],
      ['merchant', demo.merchants[0]!.id],
    ] as const) {
      const context = await phoneWithToken(browser, app, role, id);
      for (const path of ['/app/office', '/app/office/shops', '/app/office/ledger', '/app/office/exports/star-levels.csv']) {
        const response = await context.request.get(`${app.baseUrl}${path}`, { maxRedirects: 0 });
        expect(response.status(), `${role} ${path}`).toBe(403);
      }
      const post = await context.request.post(`${app.baseUrl}/app/office/ledger/digests`, { form: {}, headers: { origin: app.baseUrl }, maxRedirects: 0 });
      expect(post.status(), `${role} records a digest`).toBe(403);
      await context.close();
    }
    const anonymous = await fetch(`${app.baseUrl}/app/office/shops`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/app/sign-in?next=%2Fapp%2Foffice%2Fshops');
  });
});
