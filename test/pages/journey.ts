import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import type { TestApp } from '../support/app.js';
import { countBytes, expectAccessible, launchBrowser, launchBrowserWithCamera, newPhone, qrVideo, screenshot, signInWithLink, watchProblems } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { award } from '../support/ledger.js';

/**
 * A person's path through both pages, as the issue tells it: a volunteer signs in with a link, sees
 * the balance, claims a pack and the QR code shows; the shop's counter scans that QR from a camera
 * (Chromium's fake camera playing a video made from the QR) and answers green; the wallet then
 * shows the claim redeemed; the same code scanned again is the same success; a code for another
 * shop is red with the reason. Run on PostgreSQL and on the embedded database.
 */
export async function counterJourney(app: TestApp, f: Factory, options: { screenshots: boolean; weights?: (name: string, bytes: number) => void }) {
  const shot = (page: Parameters<typeof screenshot>[0], name: string) => (options.screenshots ? screenshot(page, name) : Promise.resolve());
  const unit = await f.orgUnit();
  const volunteer = await f.volunteer(unit.id, { name: '王秀英' });
  await award(app, f.adminToken, volunteer.id, 200, '社区清洁');
  const shop = await f.merchant(undefined, '幸福理发店');
  const otherShop = await f.merchant(undefined, '平安药房');
  const pack = await f.pack(shop.id, { title: '理发一次', points: 40, stock: 10 });

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-camera-'));
  let phoneBrowser: Browser | undefined;
  let counterBrowser: Browser | undefined;
  try {
    phoneBrowser = await launchBrowser();
    const phone = await (await newPhone(phoneBrowser)).newPage();
    const phoneProblems = watchProblems(phone);
    const bytes = countBytes(phone);
    await signInWithLink(phone, app, f.adminToken, { role: 'volunteer', principalId: volunteer.id });
    await phone.waitForLoadState('networkidle');
    // A phone that never saw the service: the sign-in link's page, its script, the stylesheet, the
    // icon and the wallet's home, everything compressed as sent.
    const walletFirstLoad = await bytes.total();
    options.weights?.(`  of which: ${[...bytes.byUrl].map(([u, n]) => `${new URL(u).pathname.split('/').pop()} ${n}`).join(', ')}`, 0);
    options.weights?.('wallet first load, from opening the sign-in link on a new phone', walletFirstLoad);
    expect(walletFirstLoad).toBeLessThan(100 * 1024);
    expect(await phone.locator('#balance').textContent()).toBe('200');

    await phone.getByRole('link', { name: '兑换礼包' }).click();
    await phone.locator(`#pack-${pack.id}`).getByRole('link', { name: '兑换：理发一次' }).click();
    await phone.getByRole('button', { name: '确认兑换' }).click();
    await phone.waitForURL(/\/app\/wallet\/claims\/[0-9a-f-]{36}$/);
    expect(await phone.locator('#claim-qr svg').count()).toBe(1);
    const claimId = phone.url().split('/').pop()!;
    const claim = (await app.request('GET', `/v1/redemptions/${claimId}`, { token: await app.token('volunteer', volunteer.id) })).body;
    expect(claim.status).toBe('issued');

    // The counter's camera shows the very QR code the phone shows.
    const video = await qrVideo(claim.token, path.join(dir, 'qr.y4m'));
    counterBrowser = await launchBrowserWithCamera(video);
    const counter = await (await newPhone(counterBrowser, { camera: true })).newPage();
    const counterProblems = watchProblems(counter);
    await signInWithLink(counter, app, f.adminToken, { role: 'merchant', principalId: shop.id });
    await expectAccessible(counter, 'counter');
    await shot(counter, 'counter');
    const cameraBytes = countBytes(counter);
    await counter.getByRole('button', { name: '打开摄像头扫码' }).click();
    await counter.waitForURL(/\/app\/counter\?redeemed=/, { timeout: 30_000 });
    const answer = counter.locator('#answer');
    expect(await answer.locator('.outcome-title').textContent()).toBe('兑换成功：理发一次');
    expect(await answer.textContent()).toContain('王*英');
    expect(await answer.textContent()).toContain('40 积分');
    options.weights?.('counter: opening the camera until the answer (decoder, its WebAssembly, the answer page)', await cameraBytes.total());
    options.weights?.(`  of which: ${[...cameraBytes.byUrl].map(([u, n]) => `${new URL(u).pathname.split('/').pop()} ${n}`).join(', ')}`, 0);
    await expectAccessible(counter, 'counter (redeemed)');
    await shot(counter, 'counter-redeemed');

    // The phone, still showing the code, turns to "redeemed" by itself.
    await expect.poll(() => phone.locator('#claim-outcome .outcome-title').textContent(), { timeout: 15_000 }).toBe('已兑换成功');
    await expectAccessible(phone, 'wallet claim (redeemed)');
    await shot(phone, 'wallet-claim-redeemed');

    // The same code again: the same success, and still one redemption.
    await counter.getByRole('button', { name: '继续扫码' }).click();
    await counter.waitForURL(/\/app\/counter\?redeemed=/, { timeout: 30_000 });
    await counter.waitForLoadState('load');
    expect(await counter.locator('#answer .outcome-title').textContent()).toBe('兑换成功：理发一次');
    expect(await counter.locator('#today tbody tr').count()).toBe(1);
    expect(await counter.locator('#today-total').textContent()).toBe('共 1 笔，40 积分');

    // Another shop's counter: red, with the reason in words.
    const other = await (await newPhone(counterBrowser, { camera: true })).newPage();
    const otherProblems = watchProblems(other);
    await signInWithLink(other, app, f.adminToken, { role: 'merchant', principalId: otherShop.id });
    await other.getByRole('button', { name: '打开摄像头扫码' }).click();
    await other.waitForURL(/\/app\/counter\?refused=/, { timeout: 30_000 });
    expect(await other.locator('#answer .outcome-title').textContent()).toBe('不能兑换');
    expect(await other.locator('#answer-reason').textContent()).toBe('这个兑换码是别的商家的，不能在本店使用。');
    await expectAccessible(other, 'counter (refused)');
    await shot(other, 'counter-refused');

    const balance = (await app.request('GET', `/v1/volunteers/${volunteer.id}/balance`, { token: f.adminToken })).body;
    expect(balance).toMatchObject({ balance: 160, held: 0 });
    expect(phoneProblems).toEqual([]);
    expect(counterProblems).toEqual([]);
    expect(otherProblems.filter((p) => !p.includes('422'))).toEqual([]);
    return { volunteer, shop, counter, phone };
  } finally {
    await phoneBrowser?.close();
    await counterBrowser?.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
