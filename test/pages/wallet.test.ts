import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, newPhone, pageAppEnv, screenshot, signInWithLink, watchProblems } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { award } from '../support/ledger.js';
import { at, hour, recordHelpers } from '../support/records.js';
import { useTestApp } from '../support/setup.js';

/**
 * The volunteer's wallet in Chromium, signed in with a real sign-in link: home, packs, a claim and
 * its QR code, the statement, cancelling, checking in from the activity's QR address, the printable
 * certificate and its public verification page, the account page. axe-core on every page.
 */
let app: TestApp;
let f: Factory;
useTestApp({ env: await pageAppEnv(), ledgerSound: true, packsSound: true }, (started) => ({ app, f } = started));
const records = recordHelpers(() => ({ app, f }));

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function volunteerPage(name = '王秀英', points = 200): Promise<{ page: Page; problems: string[]; volunteer: { id: string }; unit: { id: string } }> {
  const unit = await f.orgUnit();
  const volunteer = await f.volunteer(unit.id, { name });
  if (points > 0) await award(app, f.adminToken, volunteer.id, points, '社区清洁');
  const context = await newPhone(browser);
  const page = await context.newPage();
  const problems = watchProblems(page);
  await signInWithLink(page, app, f.adminToken, { role: 'volunteer', principalId: volunteer.id });
  return { page, problems, volunteer, unit };
}

describe('the wallet', () => {
  it('signs in with a link, shows the balance, claims a pack, shows its QR code, and lists it everywhere', async () => {
    const { page, problems, volunteer } = await volunteerPage();
    expect(await page.locator('#balance').textContent()).toBe('200');
    expect(await page.locator('.lead').textContent()).toBe('您好，王秀英');
    await expectAccessible(page, 'wallet home');
    await screenshot(page, 'wallet-home');

    const merchant = await f.merchant(undefined, '幸福理发店');
    const pack = await f.pack(merchant.id, { title: '理发一次', points: 40, stock: 5, perVolunteerLimit: 2 });
    await page.getByRole('link', { name: '兑换礼包' }).click();
    await page.waitForURL(/\/app\/wallet\/packs$/);
    const card = page.locator(`#pack-${pack.id}`);
    expect(await card.textContent()).toContain('幸福理发店');
    await expectAccessible(page, 'packs');
    await screenshot(page, 'wallet-packs');

    await card.getByRole('link', { name: '兑换：理发一次' }).click();
    expect(await page.locator('.lead').textContent()).toBe('用 40 积分兑换「理发一次」？');
    await expectAccessible(page, 'confirm claim');
    await page.getByRole('button', { name: '确认兑换' }).click();
    await page.waitForURL(/\/app\/wallet\/claims\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.locator('#claim-qr svg').count()).toBe(1);
    const shortCode = (await page.locator('#short-code').textContent())!;
    expect(shortCode).toMatch(/^[23456789A-HJKMNP-Z]{4}-[23456789A-HJKMNP-Z]{4}$/);
    await expect.poll(() => page.locator('#countdown').textContent()).toMatch(/^还剩 1[45] 分 \d\d 秒$/);
    await expectAccessible(page, 'claim code');
    await screenshot(page, 'wallet-claim-code');

    const claims = await app.request('GET', `/v1/volunteers/${volunteer.id}/redemptions`, { token: f.adminToken });
    expect(claims.body.items).toHaveLength(1);
    expect(shortCode.replace('-', '')).toBe((await app.request('GET', `/v1/redemptions/${claims.body.items[0].id}`, { token: await app.token('volunteer', volunteer.id) })).body.shortCode);

    await page.goto(`${app.baseUrl}/app/wallet`);
    expect(await page.locator('#balance').textContent()).toBe('160');
    expect(await page.locator('#held').textContent()).toBe('40');
    await page.getByRole('link', { name: '积分明细' }).click();
    const lines = page.locator('#statement .line');
    expect(await lines.count()).toBe(2);
    expect(await lines.nth(0).textContent()).toContain('兑换礼包理发一次（幸福理发店）');
    expect(await lines.nth(0).textContent()).toContain('−40');
    expect(await lines.nth(1).textContent()).toContain('活动积分社区清洁');
    await expectAccessible(page, 'statement');
    await screenshot(page, 'wallet-statement');

    await page.goto(`${app.baseUrl}/app/wallet/claims`);
    expect(await page.locator('#claims .card').first().textContent()).toContain('待使用');
    await expectAccessible(page, 'my claims');
    await screenshot(page, 'wallet-claims');

    // Cancelling gives the points back and says so.
    await page.getByRole('link', { name: '出示兑换码' }).click();
    await page.getByRole('button', { name: '取消兑换，退回积分' }).click();
    await expect.poll(() => page.locator('.outcome-title').first().textContent()).toBe('已取消兑换，积分已退回。');
    await page.goto(`${app.baseUrl}/app/wallet`);
    expect(await page.locator('#balance').textContent()).toBe('200');
    expect(problems).toEqual([]);
  });

  it('says in words why a pack cannot be claimed', async () => {
    const { page, problems } = await volunteerPage('李明', 10);
    const merchant = await f.merchant();
    const pack = await f.pack(merchant.id, { title: '米一袋', points: 50 });
    await page.goto(`${app.baseUrl}/app/wallet/packs`);
    expect(await page.locator(`#pack-${pack.id}`).textContent()).toContain('积分不够，还差 40 分');
    expect(await page.locator(`#pack-${pack.id} a.button`).count()).toBe(0);
    // The confirmation page, reached directly, has no button either, and a forced post is refused in words.
    await page.goto(`${app.baseUrl}/app/wallet/packs/${pack.id}`);
    expect(await page.locator('form[action$="/claim"]').count()).toBe(0);
    const forced = await page.evaluate(async (url) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'key=' });
      return { status: response.status, text: await response.text() };
    }, `/app/wallet/packs/${pack.id}/claim`);
    expect(forced.status).toBe(409);
    expect(forced.text).toContain('您的积分不够兑换这个礼包。');
    expect(problems.filter((p) => !p.includes('409'))).toEqual([]);
  });

  it('checks in and out by opening the address in the activity QR code', async () => {
    const { page, problems, unit } = await volunteerPage('张桂兰', 0);
    const { activity } = await records.running(unit.id, { kind: 'per_hour', points: 10 });
    const codeAnswer = await app.request('GET', `/v1/activities/${activity.id}/check-in-code`, { token: f.adminToken });
    const url: string = codeAnswer.body.url;
    expect(url.startsWith(`${app.deps.config.PUBLIC_URL}/app/wallet/check-in?`)).toBe(true);
    await page.goto(url);
    // The page submits the check-in by itself and lands on the answer.
    await expect.poll(() => page.locator('#check-in-outcome .outcome-title').textContent()).toBe('签到成功');
    await expectAccessible(page, 'checked in');
    await screenshot(page, 'wallet-check-in');
    await page.goto(url);
    await page.getByRole('button', { name: '签退' }).click();
    await expect.poll(() => page.locator('#check-in-outcome .outcome-title').textContent()).toBe('签退成功');
    await page.goto(url);
    expect(await page.locator('#check-in-done').textContent()).toContain('您已经签退了');
    const wrong = new URL(url);
    wrong.searchParams.set('code', '000000' === codeAnswer.body.code ? '111111' : '000000');
    await page.goto(wrong.toString());
    expect(problems).toEqual([]);
  });

  it('brings a volunteer who scans the check-in QR before signing in back to check in, once the typed code signs them in', async () => {
    const unit = await f.orgUnit();
    const volunteer = await f.volunteer(unit.id, { name: '刘淑芬' });
    const { activity } = await records.running(unit.id, { kind: 'fixed', points: 5 });
    const url: string = (await app.request('GET', `/v1/activities/${activity.id}/check-in-code`, { token: f.adminToken })).body.url;
    const page = await (await newPhone(browser)).newPage();
    const problems = watchProblems(page);
    await page.goto(url);
    expect(page.url()).toBe(`${app.baseUrl}/app/sign-in?next=${encodeURIComponent(new URL(url).pathname + new URL(url).search)}`);
    // A mistyped code first: said in words next to the field.
    await page.locator('#code').fill('ZZZZ-ZZZZ');
    await page.getByRole('button', { name: '登录' }).click();
    expect(await page.locator('#code-error').textContent()).toContain('这个登录码不能用');
    await expectAccessible(page, 'sign-in with an error');
    const issued = await app.request('POST', '/v1/sign-in-codes', { token: f.adminToken, body: { role: 'volunteer', principalId: volunteer.id } });
    await page.locator('#code').fill(issued.body.code.toLowerCase());
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => page.locator('#check-in-outcome .outcome-title').textContent()).toBe('签到成功');
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  });

  it('prints a certificate of the volunteer’s hours, whose QR code leads to a page that verifies it', async () => {
    const { page, problems, volunteer, unit } = await volunteerPage('陈建华', 0);
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const past = await f.activity(unit.id, type.code, { startsAt: at(-5 * hour), endsAt: at(-1 * hour) });
    const recorded = await records.record(past.id, [{ volunteerId: volunteer.id, minutes: 150 }]);
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
    expect((await records.balance(volunteer.id)).serviceMinutes).toBe(150);

    await page.goto(`${app.baseUrl}/app/wallet/certificate`);
    await expectAccessible(page, 'certificate start');
    await page.getByRole('button', { name: '生成服务证明' }).click();
    await page.waitForURL(/\/app\/wallet\/certificate\?c=/);
    expect(await page.locator('#certificate-hours').textContent()).toBe('2.5 小时');
    expect(await page.locator('#certificate-number').textContent()).toMatch(/^JF-\d{8}$/);
    expect(await page.locator('#print-button').isVisible()).toBe(true);
    await expectAccessible(page, 'certificate');
    await screenshot(page, 'wallet-certificate');

    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.site-header').isVisible()).toBe(false);
    expect(await page.locator('#certificate-hours').isVisible()).toBe(true);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(5_000);
    await page.emulateMedia({ media: 'screen' });

    // The QR code holds the public verification page's address: anyone can open it, signed in or not.
    const jws = new URL(page.url()).searchParams.get('c')!;
    const stranger = await (await newPhone(browser, { locale: 'en-GB' })).newPage();
    const strangerProblems = watchProblems(stranger);
    await stranger.goto(`${app.deps.config.PUBLIC_URL}/app/verify?c=${encodeURIComponent(jws)}`);
    expect(await stranger.locator('#verify-outcome .outcome-title').textContent()).toBe('This certificate is genuine');
    expect(await stranger.locator('#verify-outcome').textContent()).toContain('陈建华');
    expect(await stranger.locator('#verify-outcome').textContent()).toContain('2.5 hours');
    await expectAccessible(stranger, 'verify (genuine)');
    await screenshot(stranger, 'verify-genuine');
    const [head, payload, signature] = jws.split('.');
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), totalHours: 250 })).toString('base64url');
    const response = await stranger.goto(`${app.baseUrl}/app/verify?c=${encodeURIComponent(`${head}.${altered}.${signature}`)}`);
    expect(response!.status()).toBe(400);
    expect(await stranger.locator('#verify-outcome .outcome-title').textContent()).toBe('This certificate cannot be confirmed');
    await expectAccessible(stranger, 'verify (altered)');
    expect(problems).toEqual([]);
    expect(strangerProblems.filter((p) => !p.includes('400'))).toEqual([]);
  });

  it('lists the person’s sessions and signs out everywhere', async () => {
    const { page, problems, volunteer } = await volunteerPage('周志强', 0);
    const second = await (await newPhone(browser)).newPage();
    await signInWithLink(second, app, f.adminToken, { role: 'volunteer', principalId: volunteer.id });
    await page.getByRole('link', { name: '我的账号' }).click();
    expect(await page.locator('#sessions tbody tr').count()).toBe(2);
    await expectAccessible(page, 'account');
    await screenshot(page, 'account');
    await page.getByRole('button', { name: '在所有设备上退出登录' }).click();
    await page.waitForURL(/\/app\/sign-in\?signed-out=all$/);
    expect(await page.locator('#sign-in-notice').textContent()).toContain('您已在所有设备上退出登录');
    await expectAccessible(page, 'sign-in (typed code)');
    await screenshot(page, 'sign-in');
    await second.goto(`${app.baseUrl}/app/wallet`);
    expect(second.url()).toBe(`${app.baseUrl}/app/sign-in?next=%2Fapp%2Fwallet`);
    // A used link does not sign in again; the page says why in words.
    expect(problems).toEqual([]);
  });
});
