import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../src/auth/actor.js';
import { findOrgUnit } from '../src/orgunits/repository.js';
import { cancelWish, confirmWish, markWishDone, postWish, releaseWish, sweepExpiredWishes, takeWish } from '../src/wishes/service.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { category, neighbourhood } from './support/wishes.js';

/**
 * The wishes report against a set of wishes seeded at known moments (through the service verbs,
 * with the clock a script may set), its figures computed here independently from the same list.
 */

let app: TestApp;
let f: Factory;
useTestApp({ env: { PROGRAMME_TIME_ZONE: 'Asia/Shanghai' }, ledgerSound: true }, (started) => ({ app, f } = started));

const minute = 60_000;

/** What happens to one seeded wish, in minutes after it was posted. */
interface Spec {
  postedAt: string;
  unit: 'A' | 'B';
  category: 'one' | 'two';
  answer?: number;
  release?: number;
  retake?: number;
  done?: number;
  confirm?: number;
  cancel?: number;
  neededBy?: number;
  sweep?: boolean;
}

// 10:00 in Shanghai on 10 March 2025, and a day further for each wish.
const day = (n: number) => new Date(Date.UTC(2025, 2, 10 + n, 2, 0)).toISOString();
const specs: Spec[] = [
  { postedAt: day(0), unit: 'A', category: 'one', answer: 3, done: 60, confirm: 90 },
  { postedAt: day(1), unit: 'A', category: 'one', answer: 10, done: 30, confirm: 200 },
  { postedAt: day(2), unit: 'A', category: 'two', answer: 15, done: 40, confirm: 45 },
  { postedAt: day(3), unit: 'B', category: 'one', answer: 16, done: 100, confirm: 1440 },
  { postedAt: day(4), unit: 'B', category: 'two', answer: 40, release: 50, retake: 70, done: 120, confirm: 130 },
  { postedAt: day(5), unit: 'B', category: 'two', answer: 120, done: 200 },
  { postedAt: day(6), unit: 'A', category: 'one', answer: 5 },
  { postedAt: day(7), unit: 'A', category: 'two', answer: 20, cancel: 30 },
  { postedAt: day(8), unit: 'B', category: 'one', cancel: 10 },
  { postedAt: day(9), unit: 'A', category: 'one', neededBy: 60 },
  { postedAt: day(10), unit: 'B', category: 'two', neededBy: 30, sweep: true },
  { postedAt: day(11), unit: 'A', category: 'two' },
  // 00:30 on 1 March in Shanghai (still 28 February in UTC): March, in the programme's time zone.
  { postedAt: '2025-02-28T16:30:00.000Z', unit: 'B', category: 'one', answer: 1 },
  // 00:30 on 1 April in Shanghai (31 March in UTC): not March.
  { postedAt: '2025-03-31T16:30:00.000Z', unit: 'A', category: 'one', answer: 2, done: 5, confirm: 6 },
  // 23:30 on 28 February in Shanghai: not March, but the same quarter.
  { postedAt: '2025-02-28T15:30:00.000Z', unit: 'A', category: 'two', answer: 30 },
];

const marchFrom = Date.parse('2025-02-28T16:00:00.000Z');
const marchTo = Date.parse('2025-03-31T16:00:00.000Z');
const inMarch = (s: Spec) => Date.parse(s.postedAt) >= marchFrom && Date.parse(s.postedAt) < marchTo;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The report's figures for a list of specs, worked out from the specs alone. */
function expected(list: Spec[]) {
  const posted = list.length;
  const confirmed = list.filter((s) => s.confirm !== undefined).length;
  const within = list.filter((s) => s.answer !== undefined && s.answer <= 15).length;
  return {
    posted,
    taken: list.filter((s) => s.answer !== undefined).length,
    done: list.filter((s) => s.done !== undefined).length,
    confirmed,
    cancelled: list.filter((s) => s.cancel !== undefined).length,
    expired: list.filter((s) => s.neededBy !== undefined).length,
    open: list.filter((s) => s.answer === undefined && s.cancel === undefined && s.neededBy === undefined).length,
    completionRate: posted ? confirmed / posted : null,
    answeredWithin15Minutes: within,
    shareAnsweredWithin15Minutes: posted ? within / posted : null,
    medianMinutesToAnswer: median(list.flatMap((s) => (s.answer === undefined ? [] : [s.answer]))),
    medianMinutesToComplete: median(list.flatMap((s) => (s.confirm === undefined ? [] : [s.confirm]))),
  };
}

function expectFigures(actual: Record<string, unknown>, wanted: ReturnType<typeof expected>) {
  for (const [name, value] of Object.entries(wanted)) {
    if (typeof value === 'number' && !Number.isInteger(value)) expect(actual[name], name).toBeCloseTo(value, 9);
    else expect(actual[name], name).toBe(value);
  }
}

let n: Awaited<ReturnType<typeof neighbourhood>>;
let codes: Record<Spec['category'], string>;

beforeAll(async () => {
  n = await neighbourhood(app, f, 2);
  codes = { one: (await category(app, f, 10, '法律咨询')).code, two: (await category(app, f, 15, '代办跑腿')).code };
  const path = (await findOrgUnit(app.deps.db, n.community.id))!.path;
  const organiser: Actor = { role: 'organiser', id: n.organiser.id, orgUnitId: n.community.id, orgPath: path };
  const [first, second] = n.volunteers.map((v) => ({ role: 'volunteer' as const, id: v.id, orgUnitId: v.orgUnitId }));
  for (const s of specs) {
    const t0 = Date.parse(s.postedAt);
    const at = (minutes: number) => ({ at: new Date(t0 + minutes * minute) });
    const wish = await postWish(
      app.deps,
      organiser,
      {
        orgUnitId: s.unit === 'A' ? n.gridA.id : n.gridB.id,
        category: codes[s.category],
        title: '报表用心愿',
        onBehalfOf: { name: '居民', contact: '社区服务站' },
        ...(s.neededBy !== undefined ? { neededBy: new Date(t0 + s.neededBy * minute).toISOString() } : {}),
      },
      undefined,
      at(0),
    );
    const id = wish.body.id;
    let taker = first!;
    if (s.answer !== undefined) await takeWish(app.deps, taker, id, at(s.answer));
    if (s.release !== undefined) await releaseWish(app.deps, taker, id, { reason: '有事' }, at(s.release));
    if (s.retake !== undefined) {
      taker = second!;
      await takeWish(app.deps, taker, id, at(s.retake));
    }
    if (s.done !== undefined) await markWishDone(app.deps, taker, id, { note: '完成' }, at(s.done));
    if (s.confirm !== undefined) await confirmWish(app.deps, organiser, id, {}, undefined, at(s.confirm));
    if (s.cancel !== undefined) await cancelWish(app.deps, organiser, id, {}, at(s.cancel));
  }
  await sweepExpiredWishes(app.deps);
  // The same month elsewhere: never in this subtree's report.
  const elsewhere = await neighbourhood(app, f, 0);
  const otherPath = (await findOrgUnit(app.deps.db, elsewhere.community.id))!.path;
  await postWish(
    app.deps,
    { role: 'organiser', id: elsewhere.organiser.id, orgUnitId: elsewhere.community.id, orgPath: otherPath },
    { orgUnitId: elsewhere.gridA.id, category: codes.one, title: '别处', onBehalfOf: { name: '居民', contact: '别处' } },
    undefined,
    { at: new Date(day(3)) },
  );
}, 120_000);

const report = async (query: string, token = f.adminToken) => {
  const res = await app.request('GET', `/v1/reports/wishes?${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};

describe('the wishes report', () => {
  it("matches figures computed independently from the seeded wishes, for the month in the programme's time zone", async () => {
    const march = specs.filter(inMarch);
    expect(march).toHaveLength(13);
    const body = await report(`period=month&at=2025-03-15&orgUnitId=${n.district.id}`);
    expect(body.period).toMatchObject({ kind: 'month', label: '2025-03', firstDay: '2025-03-01', lastDay: '2025-03-31', timeZone: 'Asia/Shanghai', from: '2025-02-28T16:00:00.000Z', to: '2025-03-31T16:00:00.000Z' });
    expectFigures(body, expected(march));
    // The figures the issue names, spelled out for this set.
    expect(body).toMatchObject({ posted: 13, taken: 9, done: 6, confirmed: 5, cancelled: 2, expired: 2, open: 1, answeredWithin15Minutes: 5, medianMinutesToAnswer: 15, medianMinutesToComplete: 130 });
    expect(body.completionRate).toBeCloseTo(5 / 13, 9);
    expect(body.shareAnsweredWithin15Minutes).toBeCloseTo(5 / 13, 9);

    expect(body.byCategory.map((g: { category: string }) => g.category)).toEqual([codes.one, codes.two].sort());
    for (const group of body.byCategory) {
      const which = group.category === codes.one ? 'one' : 'two';
      expect(group.categoryName).toBe(which === 'one' ? '法律咨询' : '代办跑腿');
      expectFigures(group, expected(march.filter((s) => s.category === which)));
    }
    expect(body.byOrgUnit.map((g: { orgUnitId: string }) => g.orgUnitId).sort()).toEqual([n.gridA.id, n.gridB.id].sort());
    for (const group of body.byOrgUnit) expectFigures(group, expected(march.filter((s) => (s.unit === 'A' ? n.gridA.id : n.gridB.id) === group.orgUnitId)));
  });

  it('covers a quarter, and an empty period with zeros and no rates', async () => {
    const quarter = await report(`period=quarter&at=2025-02-01&orgUnitId=${n.community.id}`);
    expect(quarter.period.label).toBe('2025-Q1');
    expectFigures(quarter, expected(specs.filter((s) => Date.parse(s.postedAt) < marchTo)));
    const empty = await report(`period=month&at=2024-06-01&orgUnitId=${n.community.id}`);
    expect(empty).toMatchObject({ posted: 0, taken: 0, completionRate: null, shareAnsweredWithin15Minutes: null, medianMinutesToAnswer: null, medianMinutesToComplete: null });
    expect(empty.byCategory).toEqual([]);
    expect(empty.byOrgUnit).toEqual([]);
  });

  it("keeps an organiser to its subtree, and refuses volunteers and shops", async () => {
    const own = await report('period=month&at=2025-03-15', n.organiserToken);
    expect(own.orgUnitId).toBe(n.community.id);
    expect(own.posted).toBe(13);
    const outsider = await neighbourhood(app, f, 1);
    const refused = await app.request('GET', `/v1/reports/wishes?period=month&at=2025-03-15&orgUnitId=${n.community.id}`, { token: outsider.organiserToken });
    expect(refused.status).toBe(404);
    expect((await report('period=month&at=2025-03-15', outsider.organiserToken)).posted).toBe(0);
    expect((await app.request('GET', '/v1/reports/wishes', { token: n.volunteers[0]!.token })).status).toBe(403);
    const merchant = await f.merchant();
    expect((await app.request('GET', '/v1/reports/wishes', { token: await app.token('merchant', merchant.id) })).status).toBe(403);
    for (const query of ['period=week', 'at=2025-02-30', 'orgUnitId=nope', 'format=xml']) {
      expect((await app.request('GET', `/v1/reports/wishes?${query}`, { token: f.adminToken })).status, query).toBe(400);
    }
    expect((await app.request('GET', '/v1/reports/wishes?orgUnitId=01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { token: f.adminToken })).status).toBe(404);
  });

  it('comes as CSV, with the same figures', async () => {
    const res = await app.request('GET', `/v1/reports/wishes?period=month&at=2025-03-15&orgUnitId=${n.community.id}&format=csv`, { token: f.adminToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="wishes-2025-03.csv"');
    const raw = new Uint8Array(await (await fetch(`${app.baseUrl}/v1/reports/wishes?period=month&at=2025-03-15&orgUnitId=${n.community.id}&format=csv`, { headers: { authorization: `Bearer ${f.adminToken}` } })).arrayBuffer());
    expect([...raw.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = (res.body as string).replace(/^\ufeff/, '').split('\r\n');
    expect(lines[0]).toBe('期间 Period,2025-03-01 – 2025-03-31 (Asia/Shanghai)');
    const header = lines[2]!.split(',');
    expect(header.slice(0, 4)).toEqual(['分组 group', 'key', '名称 name', '发布 posted']);
    const total = lines[3]!.split(',');
    expect(total.slice(0, 10)).toEqual(['total', '', '合计', '13', '9', '6', '5', '2', '2', '1']);
    expect(Number(total[10])).toBeCloseTo((5 / 13) * 100, 1);
    expect(total[13]).toBe('15');
    expect(total[14]).toBe('130');
    expect(lines.filter((l) => l.startsWith('category,'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('orgUnit,'))).toHaveLength(2);
    const accept = await app.request('GET', `/v1/reports/wishes?period=month&at=2025-03-15&orgUnitId=${n.community.id}`, { token: f.adminToken, headers: { accept: 'text/csv' } });
    expect(accept.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  });
});
