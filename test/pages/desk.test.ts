import { sql } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, newPhone, pageAppEnv, phoneWithToken, screenshot, watchProblems } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { decodeQrPng } from '../support/qr-decode.js';
import { recordHelpers } from '../support/records.js';
import { useTestApp } from '../support/setup.js';
import { xlsxOf } from '../support/xlsx.js';

/**
 * The organiser's desk in a real browser: an organiser's day (register, activity, projected check-in
 * code, approval, report), a sheet of 200 rows with two bad ones, and an organiser kept out of
 * another area's volunteers. axe-core runs on every page; SCREENSHOTS=1 keeps them in docs/.
 */

let app: TestApp;
let f: Factory;
useTestApp({ env: await pageAppEnv(), ledgerSound: true }, (started) => ({ app, f } = started));
const { volunteers, balance, running, checkedOut } = recordHelpers(() => ({ app, f }));

let browser: Browser;
let tree: Awaited<ReturnType<Factory['tree']>>;
let organiserId: string;
let desk: BrowserContext;

beforeAll(async () => {
  tree = await f.tree();
  organiserId = (await f.organiser(tree.streetA.id, '李组织')).id;
  browser = await launchBrowser();
  desk = await phoneWithToken(browser, app, 'organiser', organiserId);
});
afterAll(async () => {
  await browser?.close();
});

/** Opens a desk page, checks it answered, is accessible and raised no console errors. */
async function visit(page: Page, path: string, name: string, problems: string[]) {
  const response = await page.goto(`${app.baseUrl}${path}`);
  expect(response?.status(), `${path} answered`).toBe(200);
  await expectAccessible(page, name);
  await screenshot(page, name);
  expect(problems).toEqual([]);
}

const countRecords = async (activityId: string) => Number((await sql<{ n: string }>`select count(*) as n from service_records where activity_id = ${activityId}`.execute(app.deps.db)).rows[0]!.n);

/** A wall-clock time `offsetMinutes` from now in the programme's time zone, as the form takes it. */
function wallClock(offsetMinutes: number): { date: string; time: string } {
  const at = new Date(Date.now() + offsetMinutes * 60_000);
  const timeZone = app.deps.config.PROGRAMME_TIME_ZONE;
  const date = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  return { date, time };
}

describe("an organiser's day", () => {
  it('registers a resident and prints a card, creates an activity, projects its check-in code, sees the volunteer check in and out, approves, and the balance rises', async () => {
    const page = await desk.newPage();
    const problems = watchProblems(page);
    // Register a resident.
    await page.goto(`${app.baseUrl}/app/desk/volunteers/new`);
    await page.getByRole('button', { name: '登记' }).click();
    await expect.poll(() => page.locator('#error-summary').textContent()).toContain('请填写姓名');
    await expectAccessible(page, 'desk register with errors');
    await screenshot(page, 'desk-register-errors');
    // The refusal was a 400 page, which Chromium notes in the console; nothing else may be there.
    expect(problems).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    problems.length = 0;
    await page.locator('#name').fill('张桂兰');
    await page.locator('#phone').fill('138 0000 1234');
    await page.locator('#orgUnitId').selectOption(tree.community.id);
    await page.getByRole('button', { name: '登记' }).click();
    await expect.poll(() => page.locator('#notice').textContent()).toContain('已登记：张桂兰');
    const volunteerId = page.url().split('/').pop()!.split('?')[0]!;

    // Her sign-in card: the QR holds a sign-in link that signs her in once.
    await page.getByRole('button', { name: '打印这位志愿者的登录卡' }).click();
    await expect.poll(() => page.locator('#cards .sign-in-card').count()).toBe(1);
    await expectAccessible(page, 'desk sign-in cards');
    await screenshot(page, 'desk-cards');
    const [cardLink] = await decodeQrPng(await page.locator('#cards .qr').first().screenshot());
    expect(cardLink).toMatch(new RegExp(`^${app.deps.config.PUBLIC_URL}/app/sign-in\\?code=[2-9A-Z]{8}$`));
    // A printed card is handed over and used later: it lasts SIGN_IN_CARD_TTL_SECONDS (7 days), not the 15 minutes of a code shown on a screen.
    const [card] = await app.deps.db.selectFrom('sign_in_codes').select('expires_at').orderBy('expires_at', 'desc').limit(1).execute();
    const days = (new Date(card!.expires_at as unknown as string).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThan(7.01);
    // She opens the card's link on her own phone: signed in, her wallet.
    const phoneOfHers = await newPhone(browser);
    const hers = await phoneOfHers.newPage();
    await hers.goto(cardLink!);
    await expect.poll(() => hers.url()).toBe(`${app.baseUrl}/app/wallet`);

    // An activity that is on now.
    const type = await f.activityType({ kind: 'fixed', points: 20 });
    const from = wallClock(-30);
    const to = wallClock(60);
    await page.goto(`${app.baseUrl}/app/desk/activities/new`);
    await page.locator('#title').fill('楼道清洁');
    await page.locator('#typeCode').selectOption(type.code);
    await page.locator('#orgUnitId').selectOption(tree.community.id);
    await page.locator('#date').fill(from.date);
    await page.locator('#start').fill(from.time);
    await page.locator('#end').fill(to.date === from.date ? to.time : '23:59');
    await page.locator('#place').fill('3 号楼');
    await page.getByRole('button', { name: '创建活动' }).click();
    await expect.poll(() => page.locator('#notice').textContent()).toContain('已创建活动：楼道清洁');
    const activityId = page.url().split('/').pop()!.split('?')[0]!;

    // The projector: a QR code of the code of the moment, which the page's script replaces as it rotates.
    const projector = await browser.newContext({ viewport: { width: 1280, height: 800 }, extraHTTPHeaders: { authorization: `Bearer ${await app.token('organiser', organiserId)}` }, locale: 'zh-CN' });
    const screen = await projector.newPage();
    const screenProblems = watchProblems(screen);
    await screen.goto(`${app.baseUrl}/app/desk/activities/${activityId}/check-in`);
    await expectAccessible(screen, 'desk projector');
    await screenshot(screen, 'desk-projector');
    const shown = (await screen.locator('#code').textContent())!.trim();
    expect(shown).toMatch(/^[0-9]{6}$/);
    const [target] = await decodeQrPng(await screen.locator('#check-in-qr').screenshot());
    await expect.poll(() => screen.locator('#code').textContent(), { timeout: 45_000, interval: 1000 }).not.toBe(shown);
    expect(screenProblems).toEqual([]);

    // Her phone's camera opens the projected QR code's address: checked in; again later, and she checks out
    // (the code she scanned is still accepted though the screen has moved on).
    expect(target).toMatch(new RegExp(`^${app.deps.config.PUBLIC_URL}/app/wallet/check-in\\?activity=${activityId}&code=${shown}$`));
    await hers.goto(target!);
    await expect.poll(() => hers.locator('#check-in-outcome .outcome-title').textContent()).toBe('签到成功');
    await hers.goto(target!);
    await hers.getByRole('button', { name: '签退' }).click();
    await expect.poll(() => hers.locator('#check-in-outcome .outcome-title').textContent()).toBe('签退成功');

    // The activity's live list catches up by itself.
    await page.goto(`${app.baseUrl}/app/desk/activities/${activityId}`);
    await expect.poll(() => page.locator('#participants').textContent()).toContain('已签退，待审核');
    await screenshot(page, 'desk-activity-live');

    // Approve from the queue: her balance rises.
    const before = (await balance(volunteerId)).balance;
    await page.goto(`${app.baseUrl}/app/desk/hours`);
    await expectAccessible(page, 'desk approval queue');
    await screenshot(page, 'desk-hours-queue');
    await page.getByRole('button', { name: '通过: 张桂兰', exact: true }).click();
    await expect.poll(() => page.locator('#notice').textContent()).toContain('已通过 1 条');
    expect((await balance(volunteerId)).balance).toBe(before + 20);
    await page.goto(`${app.baseUrl}/app/desk/volunteers/${volunteerId}`);
    expect(await page.locator('#balance').textContent()).toBe(String(before + 20));

    // The report shows the activity.
    await page.goto(`${app.baseUrl}/app/desk/reports/activities/${activityId}`);
    expect(await page.locator('main').textContent()).toContain('张桂兰');
    expect(problems).toEqual([]);
    await projector.close();
    await phoneOfHers.close();
  }, 180_000);
});

describe('a sheet of hours', () => {
  it('200 rows with 2 bad ones: the preview names those two and nothing is written; fixed, all 200 are entered once even if submitted twice', async () => {
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const activity = await f.activity(tree.community.id, type.code, { title: '社区清洁（补录）' });
    const people = await volunteers(tree.community.id, 200);
    const outsider = await f.volunteer(tree.streetB.id, { phone: '13912345678' });
    const header = '姓名\t手机\t小时';
    const rows = people.map((p) => `${p.name}\t\t1.5`);
    const bad = [...rows];
    bad[40] = '查无此人\t\t1.5';
    bad[150] = `\t139 1234 5678\t2`;
    const page = await desk.newPage();
    const problems = watchProblems(page);
    await page.goto(`${app.baseUrl}/app/desk/hours/bulk?activityId=${activity.id}`);
    await expectAccessible(page, 'desk bulk form');
    await screenshot(page, 'desk-bulk');
    await page.locator('#sheet').fill([header, ...bad].join('\n'));
    await page.getByRole('button', { name: '预览' }).click();
    await expect.poll(() => page.locator('#preview-outcome').textContent()).toContain('200 行中有 2 行有问题');
    const problemRows = await page.locator('#preview tbody tr').evaluateAll((trs) => trs.slice(0, 2).map((tr) => (tr as any).innerText as string));
    expect(problemRows[0]).toContain('42');
    expect(problemRows[0]).toContain('找不到这位志愿者');
    expect(problemRows[1]).toContain('152');
    expect(problemRows[1]).toContain('不在您的管辖范围内');
    expect(await page.locator('#submit-sheet').count()).toBe(0);
    expect(await countRecords(activity.id)).toBe(0);
    await expectAccessible(page, 'desk bulk preview with problems');
    await screenshot(page, 'desk-bulk-preview-problems');
    expect(outsider.id).toBeTruthy();

    // Fixed in the form below the preview, previewed again, then entered.
    await page.locator('#sheet').fill([header, ...rows].join('\n'));
    await page.getByRole('button', { name: '预览' }).click();
    await expect.poll(() => page.locator('#preview-outcome').textContent()).toContain('200 行都能对上志愿者');
    await screenshot(page, 'desk-bulk-preview');
    const submitted = await page.locator('#bulk-submit input[type=hidden]').evaluateAll((inputs) => inputs.map((i) => [(i as any).name as string, (i as any).value as string]));
    // A double click sends the form twice; one entry is made.
    await page.locator('#submit-sheet').dblclick();
    await expect.poll(() => page.locator('#bulk-done').textContent()).toContain('已录入 200 位志愿者');
    expect(await countRecords(activity.id)).toBe(200);
    await expectAccessible(page, 'desk bulk done');
    await screenshot(page, 'desk-bulk-done');

    // The same form sent again later (a reload, the back button): told it was done already; nothing new.
    await page.evaluate((fields) => {
      const doc = (globalThis as any).document;
      const form = doc.createElement('form');
      form.method = 'post';
      form.action = '/app/desk/hours/bulk';
      for (const [name, value] of fields) {
        const input = doc.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.appendChild(input);
      }
      doc.body.appendChild(form);
      form.submit();
    }, submitted);
    await expect.poll(() => page.locator('#bulk-again').count()).toBe(1);
    expect(await countRecords(activity.id)).toBe(200);
    expect((await balance(people[0]!.id)).balance).toBe(15);
    expect(problems).toEqual([]);
  }, 120_000);

  it('reads an uploaded Excel workbook the same way', async () => {
    const type = await f.activityType({ kind: 'per_hour', points: 6 });
    const activity = await f.activity(tree.community.id, type.code, { title: '读书会' });
    const [a, b] = await volunteers(tree.community.id, 2);
    const file = xlsxOf([
      ['姓名', '服务时长（分钟）'],
      [a!.name, 60],
      [b!.name, 30],
    ]);
    const page = await desk.newPage();
    await page.goto(`${app.baseUrl}/app/desk/hours/bulk?activityId=${activity.id}`);
    await page.locator('#file').setInputFiles({ name: 'hours.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: file });
    await page.getByRole('button', { name: '预览' }).click();
    await expect.poll(() => page.locator('#preview-outcome').textContent()).toContain('2 行都能对上志愿者');
    await page.locator('#submit-sheet').click();
    await expect.poll(() => page.locator('#bulk-done').count()).toBe(1);
    expect((await balance(a!.id)).balance).toBe(6);
    expect((await balance(b!.id)).balance).toBe(3);
  });
});

describe('another area', () => {
  it("an organiser can neither see nor act on another area's volunteers, on the pages or the API", async () => {
    const theirs = await f.volunteer(tree.streetB.id, { name: '外区志愿者' });
    const mine = await f.volunteer(tree.community.id, { name: '本区志愿者' });
    const page = await desk.newPage();
    await page.goto(`${app.baseUrl}/app/desk/volunteers?q=${encodeURIComponent('区志愿者')}`);
    const listed = await page.locator('#volunteers tbody tr').allInnerTexts();
    expect(listed.join('\n')).toContain('本区志愿者');
    expect(listed.join('\n')).not.toContain('外区志愿者');
    const direct = await page.goto(`${app.baseUrl}/app/desk/volunteers/${theirs.id}`);
    expect(direct?.status()).toBe(404);
    // A hand-made form post from the desk's own origin is refused the same way, and writes nothing.
    const posted = await page.evaluate(
      async ([path]) => (await fetch(path!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'points=50&reason=x&key=k1' })).status,
      [`/app/desk/volunteers/${theirs.id}/award`],
    );
    expect(posted).toBe(404);
    const deactivate = await page.evaluate(async ([path]) => (await fetch(path!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status, [`/app/desk/volunteers/${theirs.id}/deactivate`]);
    expect(deactivate).toBe(404);
    expect((await balance(theirs.id)).balance).toBe(0);
    expect((await app.request('GET', `/v1/volunteers/${theirs.id}`, { token: f.adminToken })).body.status).toBe('active');
    const token = await app.token('organiser', organiserId);
    expect((await app.request('GET', `/v1/volunteers/${theirs.id}`, { token })).status).toBe(404);
    expect((await app.request('GET', `/v1/volunteers/${mine.id}`, { token })).status).toBe(200);
    // A volunteer's token does not open the desk.
    const volunteerPhone = await phoneWithToken(browser, app, 'volunteer', mine.id);
    const refused = await (await volunteerPhone.newPage()).goto(`${app.baseUrl}/app/desk`);
    expect(refused?.status()).toBe(403);
    await volunteerPhone.close();
  });
});

describe('the approval queue', () => {
  it('rejects all the check-ins listed at once, with the reason given', async () => {
    const { activity, code } = await running(tree.community.id, { kind: 'fixed', points: 9 });
    const people = await volunteers(tree.community.id, 2);
    const records = [await checkedOut(activity.id, code, people[0]!.id), await checkedOut(activity.id, code, people[1]!.id)];
    const page = await desk.newPage();
    await page.goto(`${app.baseUrl}/app/desk/hours?activityId=${activity.id}`);
    expect(await page.locator('#queue tbody tr').count()).toBe(2);
    await page.locator('#reason').fill('活动当天取消');
    await page.locator('#reject-all').click();
    await expect.poll(() => page.locator('#notice').textContent()).toContain('已驳回 2 条');
    expect(await page.locator('#queue-empty').count()).toBe(1);
    for (const r of records) {
      const read = await app.request('GET', `/v1/records/${r.id}`, { token: f.adminToken });
      expect(read.body.status).toBe('rejected');
      expect(read.body.versions.at(-1).reason).toBe('活动当天取消');
    }
    expect((await balance(people[0]!.id)).balance).toBe(0);
  });
});

describe('hostile addresses and forms', () => {
  it('are answered with pages in words, never a 5xx, and write nothing', async () => {
    const token = await app.token('organiser', organiserId);
    const before = Number((await sql<{ n: string }>`select count(*) as n from ledger_transactions`.execute(app.deps.db)).rows[0]!.n);
    const send = async (method: string, path: string, body?: string, type = 'application/x-www-form-urlencoded') => {
      const response = await fetch(`${app.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, origin: app.baseUrl, ...(body !== undefined ? { 'content-type': type } : {}) }, body, redirect: 'manual' });
      return { status: response.status, type: response.headers.get('content-type') ?? '' };
    };
    const answers = [
      await send('GET', '/app/desk/volunteers?cursor=%FF%FE'),
      await send('GET', `/app/desk/volunteers?q=${'王'.repeat(500)}`),
      await send('GET', '/app/desk/hours?cursor=AAAA&activityId=nope'),
      await send('GET', '/app/desk/activities/not-an-id'),
      await send('GET', '/app/desk/activities/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f/check-in'),
      await send('GET', '/app/desk/reports/activities/x.csv'),
      await send('POST', '/app/desk/activities', 'title=x&typeCode=nope&orgUnitId=nope&date=2026-02-31&start=25:00&end=xx&capacity=-1'),
      await send('POST', '/app/desk/hours/bulk/preview', 'activityId=nope&sheet=%00%00'),
      await send('POST', '/app/desk/hours/bulk', 'activityId=01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f&sheet=!!!&key=k'),
      await send('POST', '/app/desk/hours/decide', 'one=approve:01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f'),
      await send('POST', '/app/desk/hours/decide', 'all=approve&id=x&id=01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f'),
      await send('POST', '/app/desk/cards', 'id=01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f'),
      await send('POST', '/app/desk/volunteers', '{"name":"x"}', 'application/json'),
      await send('POST', '/app/desk/hours/bulk/preview', 'x'.repeat(5_000_000)),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeLessThan(500);
      if (answer.status !== 303) expect(answer.type).toContain('text/html');
    }
    expect(answers.map((a) => a.status)).toEqual([400, 200, 400, 404, 404, 404, 400, 400, 400, 409, 409, 404, 415, 413]);
    const after = Number((await sql<{ n: string }>`select count(*) as n from ledger_transactions`.execute(app.deps.db)).rows[0]!.n);
    expect(after).toBe(before);
  });
});

describe('every desk page', () => {
  it('answers, in Chinese and English, with no serious accessibility problem', async () => {
    const type = await f.activityType({ kind: 'per_hour', points: 12 });
    const activity = await f.activity(tree.community.id, type.code, { title: '敬老院探访', place: '幸福里敬老院', capacity: 20 });
    const [v] = await volunteers(tree.community.id, 1);
    const recorded = await app.request('POST', `/v1/activities/${activity.id}/records`, { token: f.adminToken, body: { records: [{ volunteerId: v!.id, minutes: 90 }] }, headers: { 'idempotency-key': `desk-pages-${activity.id}` } });
    expect(recorded.status).toBe(201);
    const page = await desk.newPage();
    const problems = watchProblems(page);
    await visit(page, '/app/desk', 'desk-home', problems);
    await visit(page, '/app/desk/volunteers', 'desk-volunteers', problems);
    await visit(page, '/app/desk/volunteers/new', 'desk-register', problems);
    await visit(page, `/app/desk/volunteers/${v!.id}`, 'desk-volunteer', problems);
    await visit(page, `/app/desk/volunteers/${v!.id}/statement`, 'desk-statement', problems);
    expect(await page.locator('#statement').innerText()).toContain('+18');
    await visit(page, '/app/desk/activities', 'desk-activities', problems);
    await visit(page, '/app/desk/activities/new', 'desk-activity-new', problems);
    await visit(page, `/app/desk/activities/${activity.id}`, 'desk-activity', problems);
    await visit(page, '/app/desk/hours', 'desk-hours', problems);
    await visit(page, `/app/desk/hours/${recorded.body.records[0].id}/correct`, 'desk-correct', problems);
    await visit(page, '/app/desk/reports', 'desk-reports', problems);
    expect(await page.locator('#hours-chart svg rect').count()).toBeGreaterThan(0);
    expect(await page.locator('#type-chart table').innerText()).toContain(`type ${type.code}`);
    await visit(page, `/app/desk/reports/activities/${activity.id}`, 'desk-activity-report', problems);
    expect(await page.locator('#activity-chart table').innerText()).toMatch(/已确认\s+1/);

    await page.getByRole('link', { name: 'Switch to English' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toContain('Activity report');
    await visit(page, '/app/desk/reports', 'desk-reports-en', problems);
    expect(await page.locator('#type-chart table').innerText()).toMatch(new RegExp(`type ${type.code}\\s+\\d`));
    await page.goto(`${app.baseUrl}/app/prefs?lang=zh-CN&text=large&back=%2Fapp%2Fdesk`);
    await expectAccessible(page, 'desk home, large text');
    const smallest = await page.locator('.button').evaluateAll((els) => Math.min(...els.map((e) => (e as any).getBoundingClientRect().height)));
    expect(smallest).toBeGreaterThanOrEqual(60);
    await page.goto(`${app.baseUrl}/app/prefs?text=normal&back=%2Fapp%2Fdesk`);

    const csv = await page.evaluate(async () => {
      const response = await fetch('/app/desk/reports/months.csv');
      return { type: response.headers.get('content-type'), text: await response.text() };
    });
    expect(csv.type).toContain('text/csv');
    expect(csv.text).toContain(`type ${type.code} ${type.code} hours`);
    expect(problems).toEqual([]);
  }, 120_000);
});

