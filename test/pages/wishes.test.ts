import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectAccessible, launchBrowser, newPhone, phoneWithToken, screenshot, watchProblems } from '../support/browser.js';
import { Factory } from '../support/factories.js';
import { useTestApp } from '../support/setup.js';
import { category, moveOk, neighbourhood, postWish } from '../support/wishes.js';

/**
 * The wish pages in a real browser: the wallet's wish wall (post, take, done, confirm), the desk
 * (post for a resident, assign, confirm), and the public wall for the service centre's screen.
 * A scratch database, so the category lists hold only this file's categories.
 */

let app: TestApp;
let f: Factory;
useTestApp({ scratch: true, ledgerSound: true }, (started) => ({ app, f } = started));

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

let seq = 0;
/** A category with a name of its own, so its radio button is found by name. */
const freshCategory = (a: TestApp, fa: Factory, points: number) => category(a, fa, points, `上门维修${++seq}`);

/** A date some days ahead, as the date field takes it (in the programme's time zone). */
function daysAhead(days: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + days * 86_400_000));
}

async function pageAs(a: TestApp, role: 'volunteer' | 'organiser' | 'admin', id: string, locale?: string): Promise<{ page: Page; problems: string[] }> {
  const context = await phoneWithToken(browser, a, role, id, locale ? { locale } : {});
  const page = await context.newPage();
  return { page, problems: watchProblems(page) };
}

const wishIdOf = (page: Page) => /\/wishes\/([0-9a-f-]{36})/.exec(page.url())![1]!;

describe('wishes in the wallet', () => {
  it('a volunteer posts a wish; a neighbour takes it from the wall, marks it done; the poster confirms; the taker earns the points', async () => {
    const n = await neighbourhood(app, f, 3);
    const c = await freshCategory(app, f, 20);
    const [poster, taker, bystander] = n.volunteers as [(typeof n.volunteers)[number], (typeof n.volunteers)[number], (typeof n.volunteers)[number]];

    // The poster: the wall, then the form; refused first with the errors next to their fields.
    const p = await pageAs(app, 'volunteer', poster.id);
    await p.page.goto(`${app.baseUrl}/app/wallet/wishes`);
    expect(await p.page.locator('h1').textContent()).toBe('心愿墙');
    await p.page.locator('#post-wish').click();
    expect(p.page.url()).toBe(`${app.baseUrl}/app/wallet/wishes/new`);
    await p.page.locator('#neededBy').fill('2020-01-01');
    await p.page.locator('#submit-wish').click();
    await expect.poll(() => p.page.locator('#error-summary').isVisible()).toBe(true);
    expect(await p.page.locator('#title-error').textContent()).toContain('请写下需要什么帮助');
    expect(await p.page.locator('#category-error').textContent()).toContain('请选择');
    await expectAccessible(p.page, 'post a wish, refused');
    await p.page.getByRole('radio', { name: new RegExp(c.name) }).check();
    await p.page.locator('#title').fill('厨房水龙头漏水，请人帮忙修');
    await p.page.locator('#details').fill('下午两点以后在家');
    await p.page.locator('#submit-wish').click();
    // The service refuses a date already past: said next to the date, the rest kept.
    await expect.poll(() => p.page.locator('#neededBy-error').textContent()).toContain('日期要在今天或以后');
    expect(await p.page.locator('#title').inputValue()).toBe('厨房水龙头漏水，请人帮忙修');
    await p.page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    await screenshot(p.page, 'wishes-post');
    await p.page.locator('#neededBy').fill(daysAhead(10));
    await p.page.locator('#submit-wish').click();
    await expect.poll(() => p.page.url()).toContain('?did=posted');
    const wishId = wishIdOf(p.page);
    expect(await p.page.locator('#outcome').textContent()).toContain('心愿已发布');
    expect(await p.page.locator('#wish-title').textContent()).toBe('厨房水龙头漏水，请人帮忙修');
    await expectAccessible(p.page, 'the wish just posted');

    // A neighbour opens the page while the wish is open; the taker takes it first.
    const b = await pageAs(app, 'volunteer', bystander.id);
    await b.page.goto(`${app.baseUrl}/app/wallet/wishes/${wishId}`);
    expect(await b.page.locator('#take').isVisible()).toBe(true);

    const t = await pageAs(app, 'volunteer', taker.id);
    await t.page.goto(`${app.baseUrl}/app/wallet/wishes`);
    await expect.poll(() => t.page.locator('#wishes').textContent()).toContain('厨房水龙头漏水');
    await expectAccessible(t.page, 'the wish wall');
    await screenshot(t.page, 'wishes-wall');
    await t.page.getByRole('link', { name: '厨房水龙头漏水，请人帮忙修' }).click();
    expect(await t.page.locator('#contact-hidden').isVisible()).toBe(true);
    expect(await t.page.content()).not.toContain('13900001000');
    await t.page.locator('#take').click();
    await expect.poll(() => t.page.url()).toContain('?did=taken');
    expect(await t.page.locator('#contact').textContent()).toBe('13900001000');
    expect(await t.page.locator('#contact-name').textContent()).toBe(poster.name);
    await expectAccessible(t.page, 'a wish I took');
    await screenshot(t.page, 'wishes-taken');

    // Too late: said in words, and the neighbour still does not see the contact.
    await b.page.locator('#take').click();
    await expect.poll(() => b.page.url()).toContain('?problem=already_taken');
    expect(await b.page.locator('#outcome').textContent()).toContain('已经有人接了');
    expect(await b.page.content()).not.toContain('13900001000');
    await b.page.goto(`${app.baseUrl}/app/wallet/wishes`);
    expect(await b.page.locator('main').textContent()).not.toContain('厨房水龙头漏水');

    // Done, with a note; then the poster confirms.
    await t.page.locator('#note').fill('换了新的水龙头，不漏了');
    await t.page.locator('#done').click();
    await expect.poll(() => t.page.url()).toContain('?did=done');
    await p.page.goto(`${app.baseUrl}/app/wallet/wishes/mine`);
    await p.page.getByRole('link', { name: '厨房水龙头漏水，请人帮忙修' }).click();
    expect(await p.page.locator('#state').textContent()).toContain('请确认');
    expect(await p.page.locator('#contact').count()).toBe(0);
    expect(await p.page.locator('#history').textContent()).toContain('换了新的水龙头，不漏了');
    await expectAccessible(p.page, 'a wish to confirm');
    await screenshot(p.page, 'wishes-confirm');
    await p.page.locator('#confirm').click();
    await expect.poll(() => p.page.url()).toContain('?did=confirmed');
    expect(await p.page.locator('#state').textContent()).toContain('20 积分');

    // The taker's wallet: the points, and the statement line with the wish as its reference.
    await t.page.goto(`${app.baseUrl}/app/wallet`);
    await expect.poll(() => t.page.locator('#balance').textContent()).toBe('20');
    await t.page.getByRole('link', { name: '心愿墙' }).click();
    await expect.poll(() => t.page.url()).toBe(`${app.baseUrl}/app/wallet/wishes`);
    await t.page.goto(`${app.baseUrl}/app/wallet/wishes/${wishId}`);
    expect(await t.page.locator('#state').textContent()).toContain('您得到了 20 积分');
    const statement = await app.request('GET', `/v1/volunteers/${taker.id}/ledger`, { token: taker.token });
    expect(statement.body.items).toEqual([expect.objectContaining({ kind: 'award', amount: 20, reference: wishId })]);

    // My wishes, in English and large text.
    await t.page.goto(`${app.baseUrl}/app/wallet/wishes/mine`);
    await t.page.getByRole('link', { name: 'Switch to English' }).click();
    await t.page.getByRole('link', { name: 'Switch to large text' }).click();
    await expect.poll(() => t.page.locator('h1').textContent()).toBe('My wishes');
    expect(await t.page.locator('#taken').textContent()).toContain('Confirmed done');
    const smallest = await t.page.locator('.button').evaluateAll((els) => Math.min(...els.map((e) => (e as any).getBoundingClientRect().height)));
    expect(smallest).toBeGreaterThanOrEqual(60);
    await expectAccessible(t.page, 'my wishes (en, large text)');
    await screenshot(t.page, 'wishes-mine-large-en');

    // The refused forms answered 400 on purpose; the browser notes those, and nothing else went wrong.
    expect(p.problems.filter((m) => !m.includes('status of 400'))).toEqual([]);
    for (const x of [t, b]) expect(x.problems).toEqual([]);
  });

  it('works without scripts: forms post and redirect, and a form from another site is refused', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await freshCategory(app, f, 5);
    const wish = await postWish(app, n.volunteers[0]!.token, { orgUnitId: n.gridA.id, category: c.code, title: '帮忙取快递' });
    const cross = await fetch(`${app.baseUrl}/app/wallet/wishes/${wish.id}/take`, {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: `Bearer ${n.volunteers[1]!.token}`, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(cross.status).toBe(403);
    expect((await app.request('GET', `/v1/wishes/${wish.id}`, { token: n.volunteers[0]!.token })).body.status).toBe('open');
    const take = await fetch(`${app.baseUrl}/app/wallet/wishes/${wish.id}/take`, {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: `Bearer ${n.volunteers[1]!.token}`, origin: app.baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(take.status).toBe(303);
    expect(take.headers.get('location')).toBe(`/app/wallet/wishes/${wish.id}?did=taken`);
    const missing = await fetch(`${app.baseUrl}/app/wallet/wishes/not-a-wish`, { headers: { authorization: `Bearer ${n.volunteers[1]!.token}` } });
    expect(missing.status).toBe(404);
    const desk = await fetch(`${app.baseUrl}/app/desk/wishes`, { headers: { authorization: `Bearer ${n.volunteers[1]!.token}` } });
    expect(desk.status).toBe(403);
  });
});

describe('wish pages and bad input', () => {
  it('answers odd input in words with a 4xx, never a 500, and changes nothing', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await freshCategory(app, f, 5);
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '检查输入', onBehalfOf: { name: '居民', contact: '1栋' } });
    const volunteer = { authorization: `Bearer ${n.volunteers[0]!.token}` };
    const organiser = { authorization: `Bearer ${n.organiserToken}` };
    const form = (headers: Record<string, string>, path: string, body: string) =>
      fetch(`${app.baseUrl}${path}`, { method: 'POST', redirect: 'manual', headers: { ...headers, origin: app.baseUrl, 'content-type': 'application/x-www-form-urlencoded' }, body });
    const cases: [Promise<Response>, number, string?][] = [
      [form(volunteer, '/app/wallet/wishes/new', `category=${c.code}&title=${encodeURIComponent('修')}&neededBy=2026-02-30`), 400, '请按“年-月-日”填写日期'],
      [form(volunteer, '/app/wallet/wishes/new', `category=no-such-kind&title=x`), 400, '请选择这是哪一类的事'],
      [form(volunteer, '/app/wallet/wishes/new', `category=${c.code}&title=${'长'.repeat(201)}`), 400, '不能超过 200 个字'],
      [form(volunteer, '/app/wallet/wishes/new', `category=${c.code}&title=%00%00&details=%ED%A0%80`), 400, '请写下需要什么帮助'],
      [form(organiser, '/app/desk/wishes/new', `orgUnitId=not-a-unit&residentName=a&residentContact=b&category=${c.code}&title=x`), 400, '请选择心愿所在的社区或网格'],
      [form(organiser, '/app/desk/wishes/new', `orgUnitId=${n.streetB.id}&residentName=a&residentContact=b&category=${c.code}&title=x`), 400, '请选择心愿所在的社区或网格'],
      [form(organiser, `/app/desk/wishes/${wish.id}/assign`, 'volunteerId=nobody'), 404],
      [form(volunteer, `/app/wallet/wishes/${wish.id}/done`, `note=${'字'.repeat(501)}`), 400],
      [form(volunteer, `/app/wallet/wishes/${wish.id}/fly`, ''), 404],
      [form(volunteer, `/app/wallet/wishes/${wish.id}/take`, 'x'.repeat(9000)), 413],
      [fetch(`${app.baseUrl}/app/wallet/wishes/${wish.id}/take`, { method: 'POST', redirect: 'manual', headers: { ...volunteer, origin: app.baseUrl, 'content-type': 'application/json' }, body: '{}' }), 415],
      [fetch(`${app.baseUrl}/app/desk/wishes/${wish.id}?q=%00${encodeURIComponent("%_'\\")}`, { headers: organiser }), 200],
      [fetch(`${app.baseUrl}/app/wallet/wishes?cursor=%00garbage`, { headers: volunteer }), 400],
      [fetch(`${app.baseUrl}/app/wall/${n.gridA.id}x`), 404],
    ];
    for (const [pending, status, words] of cases) {
      const response = await pending;
      const html = await response.text();
      expect(response.status, `${response.url}: ${html.slice(-600)}`).toBe(status);
      if (words) expect(html).toContain(words);
    }
    const after = await app.request('GET', `/v1/wishes/${wish.id}`, { token: n.organiserToken });
    expect(after.body).toMatchObject({ status: 'open', version: 1 });
    const listed = await app.request('GET', `/v1/wishes?orgUnitId=${n.community.id}`, { token: n.organiserToken });
    expect(listed.body.items).toHaveLength(1);
  });
});

describe('wishes at the desk', () => {
  it('an organiser posts for a resident, assigns a taker (post holders first), and confirms; another volunteer never sees the contact', async () => {
    const n = await neighbourhood(app, f, 4);
    const c = await freshCategory(app, f, 30);
    const [chief, helper, other] = n.volunteers as [(typeof n.volunteers)[number], (typeof n.volunteers)[number], (typeof n.volunteers)[number]];
    const post = await app.request('POST', '/v1/volunteer-posts', { token: n.organiserToken, body: { volunteerId: chief.id, orgUnitId: n.gridA.id, kind: 'building_chief' } });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
    // One wish nobody has answered for a while: the triage lists it first.
    await postWish(app, n.organiserToken, { orgUnitId: n.gridB.id, category: c.code, title: '帮忙买菜', onBehalfOf: { name: '李大爷', contact: '5栋101' } });

    const o = await pageAs(app, 'organiser', n.organiser.id);
    await o.page.goto(`${app.baseUrl}/app/desk/wishes`);
    await o.page.locator('#post-for-resident').click();
    await o.page.locator('#submit-wish').click();
    await expect.poll(() => o.page.locator('#residentName-error').textContent()).toContain('居民的称呼');
    await expectAccessible(o.page, 'post for a resident, refused');
    await o.page.goto(`${app.baseUrl}/app/desk/wishes/new`);
    await expectAccessible(o.page, 'post for a resident');
    await screenshot(o.page, 'wishes-desk-post');
    await o.page.locator('#orgUnitId').selectOption(n.gridA.id);
    await o.page.locator('#residentName').fill('3栋王奶奶');
    await o.page.locator('#residentContact').fill('3栋2单元501，电话 021-5555 0101');
    await o.page.getByRole('radio', { name: new RegExp(c.name) }).check();
    await o.page.locator('#title').fill('上门认证养老金');
    await o.page.locator('#submit-wish').click();
    await expect.poll(() => o.page.url()).toContain('?did=posted');
    const wishId = wishIdOf(o.page);
    expect(await o.page.locator('#contact').textContent()).toBe('3栋2单元501，电话 021-5555 0101');

    // Assign: the building chief of the unit is offered first; a search narrows by name.
    expect(await o.page.locator('#candidates .candidate').first().textContent()).toContain(chief.name);
    expect(await o.page.locator('#candidates .candidate').first().textContent()).toContain('楼栋长');
    await expectAccessible(o.page, 'a wish at the desk, to assign');
    await o.page.locator('#q').fill(helper.name.slice(-8));
    await o.page.locator('#search').click();
    await expect.poll(() => o.page.locator('#candidates .candidate').count()).toBe(1);
    await screenshot(o.page, 'wishes-desk-assign');
    await o.page.getByRole('button', { name: `派给 ${helper.name}` }).click();
    await expect.poll(() => o.page.url()).toContain('?did=assigned');
    expect(await o.page.locator('main').textContent()).toContain(helper.name);

    // The triage: unanswered first (the older wish), then the rest.
    await o.page.goto(`${app.baseUrl}/app/desk/wishes`);
    expect(await o.page.locator('#open').textContent()).toContain('帮忙买菜');
    expect(await o.page.locator('#in-hand').textContent()).toContain('上门认证养老金');
    const sections = await o.page.locator('main h2').allTextContents();
    expect(sections[0]).toContain('等人帮忙');
    expect(sections[1]).toContain('超过期限');
    await expectAccessible(o.page, 'the desk triage');
    await screenshot(o.page, 'wishes-desk');

    // The helper sees the contact; another volunteer of the community never does.
    const h = await pageAs(app, 'volunteer', helper.id);
    await h.page.goto(`${app.baseUrl}/app/wallet/wishes/mine`);
    await h.page.getByRole('link', { name: '上门认证养老金' }).click();
    expect(await h.page.locator('#contact').textContent()).toContain('021-5555 0101');
    await h.page.locator('#done').click();
    await expect.poll(() => h.page.url()).toContain('?did=done');
    const x = await pageAs(app, 'volunteer', other.id);
    await x.page.goto(`${app.baseUrl}/app/wallet/wishes/${wishId}`);
    expect(await x.page.locator('#wish-title').textContent()).toBe('上门认证养老金');
    const seen = await x.page.content();
    expect(seen).not.toContain('021-5555 0101');
    expect(seen).not.toContain('3栋2单元501');
    await x.page.goto(`${app.baseUrl}/app/wallet/wishes`);
    expect(await x.page.content()).not.toContain('5栋101');

    // The organiser confirms; the helper earns the points.
    await o.page.goto(`${app.baseUrl}/app/desk/wishes`);
    expect(await o.page.locator('#to-confirm').textContent()).toContain('上门认证养老金');
    await o.page.locator('#to-confirm').getByRole('link', { name: '上门认证养老金' }).click();
    await o.page.locator('#confirm').click();
    await expect.poll(() => o.page.url()).toContain('?did=confirmed');
    expect(await o.page.locator('#history').textContent()).toContain('确认完成');
    const balance = await app.request('GET', `/v1/volunteers/${helper.id}/balance`, { token: helper.token });
    expect(balance.body.balance).toBe(30);
    expect(o.problems.filter((m) => !m.includes('status of 400'))).toEqual([]);
    for (const y of [h, x]) expect(y.problems).toEqual([]);
  });
});

describe('the public wall', () => {
  it('shows the open wishes without names or contacts and the month’s completion rate, refreshing itself, to anyone', async () => {
    const n = await neighbourhood(app, f, 3);
    const c = await freshCategory(app, f, 10);
    const [a, b] = n.volunteers;
    const done = await postWish(app, a!.token, { orgUnitId: n.gridA.id, category: c.code, title: '陪老人聊天' });
    await moveOk(app, b!.token, done.id, 'take');
    await moveOk(app, b!.token, done.id, 'done');
    await moveOk(app, a!.token, done.id, 'confirm');
    await postWish(app, n.organiserToken, { orgUnitId: n.gridB.id, category: c.code, title: '帮忙换灯泡', onBehalfOf: { name: '赵阿姨', contact: '13700001111' } });
    await postWish(app, a!.token, { orgUnitId: n.gridA.id, category: c.code, title: '代取药品' });
    // Computed here: 3 posted this month in the community, 1 confirmed.
    const rate = `${Math.round((1 / 3) * 100)}%`;

    const response = await fetch(`${app.baseUrl}/app/wall/${n.community.id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('refresh')).toBe('60');
    const html = await response.text();
    for (const secret of ['赵阿姨', '13700001111', a!.name, '13900001000', b!.name]) expect(html, secret).not.toContain(secret);
    expect(html).toContain('帮忙换灯泡');
    expect(html).toContain('代取药品');
    expect(html).not.toContain('陪老人聊天');
    expect(html).not.toMatch(/<script/);

    const context = await newPhone(browser);
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${app.baseUrl}/app/wall/${n.community.id}`);
    expect(await page.locator('#completion-rate').textContent()).toBe(rate);
    expect(await page.locator('#month-line').textContent()).toBe('本月发布 3 个心愿，已完成 1 个');
    expect(await page.locator('#wall-wishes li').count()).toBe(2);
    expect(await page.locator('html').getAttribute('class')).toBe('large');
    await expectAccessible(page, 'the public wall');
    await screenshot(page, 'wall');

    const unknown = await fetch(`${app.baseUrl}/app/wall/00000000-0000-7000-8000-000000000000`, { headers: { 'accept-language': 'en' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('No such wish wall');
    expect((await fetch(`${app.baseUrl}/app/wall/not-a-unit`)).status).toBe(404);
    expect(problems).toEqual([]);
  });
});

describe('wish pages on the embedded database', () => {
  let embedded: TestApp;
  let ef: Factory;
  beforeAll(async () => {
    embedded = await startTestApp({ DATABASE_URL: '', MIGRATE_ON_START: 'true' });
    ef = await Factory.create(embedded);
  });
  afterAll(async () => {
    await embedded?.close();
  });

  it('posts, takes, marks done and confirms through the pages on PGlite', async () => {
    expect(embedded.deps.database.kind).toBe('pglite');
    const n = await neighbourhood(embedded, ef, 2);
    const c = await freshCategory(embedded, ef, 15);
    const p = await pageAs(embedded, 'volunteer', n.volunteers[0]!.id);
    await p.page.goto(`${embedded.baseUrl}/app/wallet/wishes/new`);
    await p.page.getByRole('radio', { name: new RegExp(c.name) }).check();
    await p.page.locator('#title').fill('帮忙搬一袋米上楼');
    await p.page.locator('#submit-wish').click();
    await expect.poll(() => p.page.url()).toContain('?did=posted');
    const wishId = wishIdOf(p.page);
    const t = await pageAs(embedded, 'volunteer', n.volunteers[1]!.id);
    await t.page.goto(`${embedded.baseUrl}/app/wallet/wishes/${wishId}`);
    await t.page.locator('#take').click();
    await expect.poll(() => t.page.url()).toContain('?did=taken');
    await t.page.locator('#done').click();
    await expect.poll(() => t.page.url()).toContain('?did=done');
    await p.page.goto(`${embedded.baseUrl}/app/wallet/wishes/${wishId}`);
    await p.page.locator('#confirm').click();
    await expect.poll(() => p.page.url()).toContain('?did=confirmed');
    await t.page.goto(`${embedded.baseUrl}/app/wallet`);
    await expect.poll(() => t.page.locator('#balance').textContent()).toBe('15');
    const wall = await (await fetch(`${embedded.baseUrl}/app/wall/${n.community.id}`)).text();
    expect(wall).toContain('100%');
    for (const x of [p, t]) expect(x.problems).toEqual([]);
  });
});
