import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { launchBrowser, expectAccessible, phoneWithToken, screenshot, watchProblems } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { useTestApp } from '../support/setup.js';

let app: TestApp;
let f: Factory;
useTestApp({}, (started) => ({ app, f } = started));

/** Fetches without following redirects, as a browser's first request would see it. */
const raw = (path: string, init: RequestInit = {}) => fetch(`${app.baseUrl}${path}`, { redirect: 'manual', ...init });

describe('the pages framework over HTTP', () => {
  it('sends someone not signed in to the sign-in page, and an unknown page is a 404 page in words', async () => {
    const wallet = await raw('/app/wallet');
    expect(wallet.status).toBe(303);
    expect(wallet.headers.get('location')).toBe('/app/sign-in?next=%2Fapp%2Fwallet');
    const root = await raw('/app/');
    expect(root.headers.get('location')).toBe('/app/sign-in');
    const missing = await raw('/app/no-such-page', { headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await missing.text()).toContain('Page not found');
  });

  it('serves every page with a strict Content-Security-Policy and no caching', async () => {
    const response = await raw('/app/no-such-page');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).toContain('lang="zh-CN"');
  });

  it('serves the stylesheet under a hashed name, cached for a year, as brotli or gzip', async () => {
    const html = await (await raw('/app/no-such-page')).text();
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)![1]!;
    expect(href).toMatch(/^\/app\/assets\/app\.[0-9a-f]{12}\.css$/);
    const br = await raw(href, { headers: { 'accept-encoding': 'br' } });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(br.headers.get('content-type')).toBe('text/css; charset=utf-8');
    // fetch decodes the body itself; the length on the wire is the compressed one.
    const css = await br.text();
    expect(css).toContain('.button');
    expect(Number(br.headers.get('content-length'))).toBeLessThan(Buffer.byteLength(css) / 3);
    expect(zlib.brotliCompressSync(css).length).toBeGreaterThan(0);
    const gz = await raw(href, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(await gz.text()).toBe(css);
    const stale = await raw('/app/assets/app.000000000000.css');
    expect(stale.status).toBe(404);
  });

  it('remembers the language and text-size switches, and only ever goes back to one of our pages', async () => {
    const set = await raw('/app/prefs?lang=en&text=large&back=%2Fapp%2Fwallet');
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe('/app/wallet');
    const cookies = set.headers.getSetCookie().join('\n');
    expect(cookies).toContain('jifen_lang=en');
    expect(cookies).toContain('jifen_text=large');
    for (const back of ['https://evil.example/', '//evil.example/app', '/v1/awards', '/app/../v1', '/app\\evil']) {
      const response = await raw(`/app/prefs?lang=en&back=${encodeURIComponent(back)}`);
      expect(response.headers.get('location'), back).toBe('/app/');
    }
    const english = await raw('/app/no-such-page', { headers: { cookie: 'jifen_lang=en; jifen_text=large', 'accept-language': 'zh-CN' } });
    const html = await english.text();
    expect(html).toContain('lang="en" class="large"');
  });

  it('still refuses form bodies on the JSON API', async () => {
    const response = await raw('/v1/awards', { method: 'POST', headers: { authorization: `Bearer ${f.adminToken}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'points=1' });
    expect(response.status).toBe(415);
  });
});

describe('the wallet home in a real browser', () => {
  it('shows a volunteer their points, hours and star, in Chinese then English, in large text, accessibly', async () => {
    const unit = await f.orgUnit();
    const volunteer = await f.volunteer(unit.id, { name: '王秀英' });
    const award = await app.request('POST', '/v1/awards', { token: f.adminToken, body: { volunteerId: volunteer.id, points: 120, reason: 'garden day' }, headers: { 'idempotency-key': randomUUID() } });
    expect(award.status).toBe(201);
    const browser = await launchBrowser();
    try {
      const context = await phoneWithToken(browser, app, 'volunteer', volunteer.id);
      const page = await context.newPage();
      const problems = watchProblems(page);
      await page.goto(`${app.baseUrl}/app/wallet`);
      await expect.poll(() => page.locator('#balance').textContent()).toBe('120');
      expect(await page.locator('h1').textContent()).toBe('我的积分');
      expect(await page.locator('.lead').textContent()).toContain('王秀英');
      await expectAccessible(page, 'wallet home (zh-CN)');
      await screenshot(page, 'wallet-home');

      await page.getByRole('link', { name: 'Switch to English' }).click();
      await expect.poll(() => page.locator('h1').textContent()).toBe('My points');
      expect(page.url()).toBe(`${app.baseUrl}/app/wallet`);
      await page.getByRole('link', { name: 'Switch to large text' }).click();
      await expect.poll(() => page.locator('html').getAttribute('class')).toBe('large');
      const bodySize = await page.evaluate(() => (globalThis as any).getComputedStyle((globalThis as any).document.body).fontSize);
      expect(Number.parseFloat(bodySize)).toBeGreaterThanOrEqual(24);
      const smallestButton = await page.locator('.button').evaluateAll((els) => Math.min(...els.map((e) => (e as any).getBoundingClientRect().height)));
      expect(smallestButton).toBeGreaterThanOrEqual(60);
      await expectAccessible(page, 'wallet home (en, large text)');
      await screenshot(page, 'wallet-home-large-en');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('bad input to the pages', () => {
  it('answers every malformed address, form and body with a page in words, never a 500, and changes nothing', async () => {
    const unit = await f.orgUnit();
    const volunteer = await f.volunteer(unit.id);
    const merchant = await f.merchant();
    const asVolunteer = { authorization: `Bearer ${await app.token('volunteer', volunteer.id)}` };
    const asMerchant = { authorization: `Bearer ${await app.token('merchant', merchant.id)}` };
    const same = { origin: app.baseUrl, 'content-type': 'application/x-www-form-urlencoded' };
    const cases: [string, RequestInit, number][] = [
      ['/app/wallet/claims/not-an-id', { headers: asVolunteer }, 404],
      [`/app/wallet/claims/${randomUUID()}`, { headers: asVolunteer }, 404],
      ['/app/wallet/packs/%00', { headers: asVolunteer }, 404],
      ['/app/wallet/statement?cursor=%E2%98%83%E2%98%83', { headers: asVolunteer }, 400],
      ['/app/wallet/claims?cursor=xyz', { headers: asVolunteer }, 400],
      ['/app/wallet/check-in?activity=nope&code=1', { headers: asVolunteer }, 404],
      [`/app/wallet/check-in?activity=${randomUUID()}&code=123456`, { headers: asVolunteer }, 404],
      ['/app/wallet/certificate?c=not.a.certificate', { headers: asVolunteer }, 400],
      ['/app/counter', { headers: asVolunteer }, 403],
      ['/app/wallet', { headers: asMerchant }, 403],
      ['/app/counter/settlement?from=2026-02-30&to=x', { headers: asMerchant }, 400],
      ['/app/counter?redeemed=not-an-id&refused=%3Cscript%3E', { headers: asMerchant }, 200],
      ['/app/verify?c=' + 'A'.repeat(9000), {}, 400],
      ['/app/counter/redeem', { method: 'POST', headers: { ...asMerchant, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'code=x' }, 403],
      ['/app/counter/redeem', { method: 'POST', headers: { ...asMerchant, origin: app.baseUrl, 'content-type': 'application/json' }, body: '{"code":"x"}' }, 415],
      ['/app/counter/redeem', { method: 'POST', headers: { ...asMerchant, ...same }, body: `code=${'x'.repeat(9000)}` }, 413],
      ['/app/wallet/packs/00000000-0000-4000-8000-000000000000/claim', { method: 'POST', headers: { ...asVolunteer, ...same }, body: 'key=%00' }, 404],
      ['/app/wallet/check-in', { method: 'POST', headers: { ...asVolunteer, ...same }, body: 'activity=x' }, 404],
      ['/app/sign-in', { method: 'POST', headers: same, body: 'code=%FF%FE' }, 401],
      ['/app/sign-in', { method: 'POST', headers: same, body: '' }, 400],
      ['/app/sign-in', { method: 'POST', headers: { ...same, origin: 'https://evil.example' }, body: 'code=ABCDEFGH' }, 403],
    ];
    for (const [path, init, status] of cases) {
      const response = await raw(path, init);
      const text = await response.text();
      expect(response.status, `${init.method ?? 'GET'} ${path.slice(0, 80)}: ${text.slice(0, 200)}`).toBe(status);
      expect(response.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(text).not.toContain('<script>');
    }
    const balance = await app.request('GET', `/v1/volunteers/${volunteer.id}/balance`, { token: f.adminToken });
    expect(balance.body).toMatchObject({ balance: 0, held: 0 });
  });
});
