import { beforeAll, describe, expect, it } from 'vitest';
import { monthsBetween } from '../src/reports/overview.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { award, key } from './support/ledger.js';
import { csvTable, parseCsv, reportHelpers, shanghaiDay } from './support/reports.js';
import { useTestApp } from './support/setup.js';

/**
 * The figures the office draws as charts: month by month, volunteers by star level, and what every
 * merchant is owed. A database of its own, so programme-wide totals can be compared exactly.
 */

let app: TestApp;
let f: Factory;

useTestApp({ env: { STAR_THRESHOLDS_HOURS: '1,2,3,4,5' }, scratch: true, ledgerSound: true }, (started) => ({ app, f } = started));

const { get, recordHours } = reportHelpers(() => ({ app, f }));

describe('months between two months', () => {
  it('lists every month inclusive, across years', () => {
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-03', '2026-03')).toEqual(['2026-03']);
    expect(monthsBetween('2026-03', '2026-02')).toEqual([]);
  });
});

describe('month by month', () => {
  let tree: Awaited<ReturnType<Factory['tree']>>;
  let clean: { code: string };
  let visit: { code: string };
  let a: { id: string };
  let b: { id: string };
  let outsider: { id: string };

  beforeAll(async () => {
    tree = await f.tree();
    clean = await f.activityType({ kind: 'per_hour', points: 60 }, 'clean');
    visit = await f.activityType({ kind: 'fixed', points: 5 }, 'visit');
    a = await f.volunteer(tree.streetA.id);
    b = await f.volunteer(tree.community.id);
    outsider = await f.volunteer(tree.streetB.id);
    // 23:30 on 31 January in Shanghai is January there (15:30 UTC); 00:30 on 1 February is February.
    const january = await f.activity(tree.streetA.id, clean.code, { startsAt: '2025-01-31T15:30:00Z', endsAt: '2025-01-31T17:30:00Z' });
    const february = await f.activity(tree.streetA.id, clean.code, { startsAt: '2025-01-31T16:30:00Z', endsAt: '2025-01-31T18:30:00Z' });
    const visits = await f.activity(tree.streetB.id, visit.code, { startsAt: '2025-03-10T02:00:00Z', endsAt: '2025-03-10T04:00:00Z' });
    await recordHours(january.id, [{ volunteerId: a.id, minutes: 60 }]);
    await recordHours(february.id, [
      { volunteerId: a.id, minutes: 30 },
      { volunteerId: b.id, minutes: 90 },
    ]);
    await recordHours(visits.id, [
      { volunteerId: b.id, minutes: 45 },
      { volunteerId: outsider.id, minutes: 120 },
    ]);
  });

  it('gives every month of the span with hours by type in the programme time zone, zeros where nothing happened', async () => {
    const res = await get(`/v1/reports/months?orgUnitId=${tree.district.id}&from=2024-12&to=2025-04`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ orgUnitId: tree.district.id, timeZone: 'Asia/Shanghai', from: '2024-12', to: '2025-04' });
    expect(res.body.types).toEqual([
      { typeCode: 'clean', typeName: 'type clean' },
      { typeCode: 'visit', typeName: 'type visit' },
    ]);
    const months = res.body.items.map((m: any) => [m.month, m.minutes, m.records, m.volunteers]);
    expect(months).toEqual([
      ['2024-12', 0, 0, 0],
      ['2025-01', 60, 1, 1],
      ['2025-02', 120, 2, 2],
      ['2025-03', 165, 2, 2],
      ['2025-04', 0, 0, 0],
    ]);
    const march = res.body.items[3];
    expect(march.byType).toEqual([{ typeCode: 'visit', typeName: 'type visit', minutes: 165, hours: 2.75, records: 2 }]);
    expect(march.hours).toBe(2.75);
    // Points are issued when hours are recorded (today), so they fall in this month, not in 2025.
    expect(res.body.items.every((m: any) => m.pointsIssued === 0 && m.pointsRedeemed === 0)).toBe(true);
  });

  it('counts points issued and redeemed in the month they moved, agreeing with the summary', async () => {
    const thisMonth = shanghaiDay(new Date()).slice(0, 7);
    const merchant = await f.merchant(tree.district.id);
    const pack = await f.pack(merchant.id, { points: 40 });
    await award(app, f.adminToken, a.id, 100, 'bonus');
    const claim = await app.request('POST', '/v1/redemptions', { token: await app.token('volunteer', a.id), body: { packId: pack.id } });
    expect(claim.status).toBe(201);
    expect((await app.request('POST', '/v1/redemptions/redeem', { token: await app.token('merchant', merchant.id), body: { token: claim.body.token } })).status).toBe(200);

    const res = await get(`/v1/reports/months?orgUnitId=${tree.streetA.id}&from=${thisMonth}&to=${thisMonth}`);
    expect(res.status).toBe(200);
    const summary = await get(`/v1/reports/summary?orgUnitId=${tree.streetA.id}&period=month`);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0].pointsIssued).toBe(summary.body.points.issued);
    expect(res.body.items[0].pointsRedeemed).toBe(summary.body.points.redeemed);
    expect(res.body.items[0].pointsRedeemed).toBe(40);
    // The default span is the twelve months ending this one.
    const byDefault = await get(`/v1/reports/months?orgUnitId=${tree.streetA.id}`);
    expect(byDefault.body.items).toHaveLength(12);
    expect(byDefault.body.to).toBe(thisMonth);
  });

  it('keeps an organiser inside its subtree, and refuses volunteers and merchants', async () => {
    const organiser = await f.organiser(tree.streetA.id);
    const token = await app.token('organiser', organiser.id);
    const own = await get('/v1/reports/months?from=2025-03&to=2025-03', token);
    expect(own.status).toBe(200);
    expect(own.body.orgUnitId).toBe(tree.streetA.id);
    // b (community, under street A) is in scope; the outsider's 120 minutes are not.
    expect(own.body.items[0].minutes).toBe(45);
    expect((await get(`/v1/reports/months?orgUnitId=${tree.streetB.id}`, token)).status).toBe(404);
    expect((await get('/v1/reports/months', await app.token('volunteer', a.id))).status).toBe(403);
    expect((await get('/v1/reports/months', await app.token('merchant', (await f.merchant()).id))).status).toBe(403);
  });

  it('refuses a span backwards, longer than 36 months, or a month that is not one, naming the field', async () => {
    const backwards = await get('/v1/reports/months?from=2025-05&to=2025-01');
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors).toEqual([{ path: 'query.from', message: 'must not be after `to`' }]);
    const long = await get('/v1/reports/months?from=2020-01&to=2023-01');
    expect(long.status).toBe(400);
    expect(long.body.errors[0].message).toContain('36 months');
    expect((await get('/v1/reports/months?from=2020-01&to=2022-12')).status).toBe(200);
    for (const bad of ['2025-13', '2025-1', '1999-12', '2025-01-01', 'x']) {
      const res = await get(`/v1/reports/months?to=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(JSON.stringify(res.body.errors)).toContain('to');
    }
  });

  it('downloads as CSV, one row per month with a column of hours per activity type', async () => {
    const res = await get(`/v1/reports/months?orgUnitId=${tree.district.id}&from=2025-01&to=2025-03&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="months-2025-01-2025-03.csv"');
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual(['月份 month', '服务小时 hours', '服务分钟 minutes', '记录 records', '参与志愿者 volunteers', '发放积分 points issued', '兑换积分 points redeemed', 'type clean clean hours', 'type visit visit hours']);
    expect(rows.slice(1)).toEqual([
      ['2025-01', '1', '60', '1', '1', '0', '0', '1', '0'],
      ['2025-02', '2', '120', '2', '2', '0', '0', '2', '0'],
      ['2025-03', '2.75', '165', '2', '2', '0', '0', '0', '2.75'],
    ]);
  });
});

describe('volunteers by star level', () => {
  it('counts active volunteers of a subtree at each level, every level listed', async () => {
    const tree = await f.tree();
    const type = await f.activityType({ kind: 'per_hour', points: 1 });
    const activity = await f.activity(tree.streetA.id, type.code, { startsAt: '2025-06-01T00:00:00Z', endsAt: '2025-06-01T06:00:00Z' });
    const [none, one, three, gone, other] = await Promise.all([
      f.volunteer(tree.streetA.id),
      f.volunteer(tree.streetA.id),
      f.volunteer(tree.community.id),
      f.volunteer(tree.streetA.id),
      f.volunteer(tree.streetB.id),
    ]);
    await recordHours(activity.id, [
      { volunteerId: one.id, minutes: 60 },
      { volunteerId: three.id, minutes: 200 },
      { volunteerId: gone.id, minutes: 300 },
      { volunteerId: other.id, minutes: 300 },
    ]);
    expect((await app.request('POST', `/v1/volunteers/${gone.id}/deactivate`, { token: f.adminToken })).status).toBe(200);
    void none;

    const res = await get(`/v1/reports/star-levels?orgUnitId=${tree.streetA.id}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      orgUnitId: tree.streetA.id,
      thresholdsHours: [1, 2, 3, 4, 5],
      volunteers: 3,
      items: [
        { level: 0, fromHours: 0, volunteers: 1 },
        { level: 1, fromHours: 1, volunteers: 1 },
        { level: 2, fromHours: 2, volunteers: 0 },
        { level: 3, fromHours: 3, volunteers: 1 },
        { level: 4, fromHours: 4, volunteers: 0 },
        { level: 5, fromHours: 5, volunteers: 0 },
      ],
    });
    // A level agrees with the volunteer's own balance.
    expect((await get(`/v1/volunteers/${three.id}/balance`)).body.starLevel).toBe(3);

    const organiser = await f.organiser(tree.community.id);
    const token = await app.token('organiser', organiser.id);
    const own = await get('/v1/reports/star-levels', token);
    expect(own.body.volunteers).toBe(1);
    expect(own.body.items[3].volunteers).toBe(1);
    expect((await get(`/v1/reports/star-levels?orgUnitId=${tree.streetA.id}`, token)).status).toBe(404);
    expect((await get('/v1/reports/star-levels', await app.token('volunteer', one.id))).status).toBe(403);

    const csv = await get(`/v1/reports/star-levels?orgUnitId=${tree.streetA.id}&format=csv`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(parseCsv(csv.body)).toEqual([
      ['星级 level', '起始小时 from hours', '志愿者 volunteers'],
      ['0', '0', '1'],
      ['1', '1', '1'],
      ['2', '2', '0'],
      ['3', '3', '1'],
      ['4', '4', '0'],
      ['5', '5', '0'],
    ]);
  });
});

describe('what every merchant is owed', () => {
  it('lists each merchant with owed, settled, and the period’s redemptions and settlements, totals matching the ledger', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    await award(app, f.adminToken, v.id, 1000);
    const shop = await f.merchant(unit.id, '老王理发店');
    const idle = await f.merchant(unit.id, '便民超市');
    const pack = await f.pack(shop.id, { points: 70 });
    for (let i = 0; i < 3; i++) {
      const claim = await app.request('POST', '/v1/redemptions', { token: await app.token('volunteer', v.id), body: { packId: pack.id } });
      expect((await app.request('POST', '/v1/redemptions/redeem', { token: await app.token('merchant', shop.id), body: { token: claim.body.token } })).status).toBe(200);
    }
    const before = await get('/v1/reports/merchants');
    expect(before.status).toBe(200);
    const row = (body: any, id: string) => body.items.find((m: any) => m.merchantId === id);
    expect(row(before.body, shop.id)).toMatchObject({ name: '老王理发店', status: 'active', owed: 210, settledTotal: 0, redeemedCount: 3, redeemedPoints: 210, settledCount: 0, settledPoints: 0, lastSettlementAt: null });
    expect(row(before.body, idle.id)).toMatchObject({ owed: 0, redeemedCount: 0 });

    const paid = await app.request('POST', `/v1/merchants/${shop.id}/settlements`, { token: f.adminToken, body: { points: 150, reference: 'ICBC-0042' }, headers: { 'idempotency-key': key() } });
    expect(paid.status).toBe(201);
    const after = await get('/v1/reports/merchants');
    expect(row(after.body, shop.id)).toMatchObject({ owed: 60, settledTotal: 150, settledCount: 1, settledPoints: 150, lastSettlementAt: paid.body.createdAt });
    expect(row(after.body, shop.id).owed).toBe((await get(`/v1/merchants/${shop.id}/settlement`)).body.owed);

    const totals = (await get('/v1/ledger/totals')).body;
    expect(after.body.totals.owed).toBe(totals.owedToMerchants);
    expect(after.body.totals.owed).toBe(after.body.items.reduce((s: number, m: any) => s + m.owed, 0));
    expect(after.body.totals.merchants).toBe(after.body.items.length);

    // A period before anything happened: owed is still now's, the period's figures are zero.
    const old = await get('/v1/reports/merchants?from=2024-01-01&to=2024-01-31');
    expect(row(old.body, shop.id)).toMatchObject({ owed: 60, redeemedCount: 0, settledCount: 0 });
    expect(old.body.period).toMatchObject({ kind: 'range', firstDay: '2024-01-01', lastDay: '2024-01-31' });

    const csv = await get('/v1/reports/merchants?format=csv');
    expect(csv.headers.get('content-disposition')).toContain('merchants-owed-');
    const table = csvTable(csv.body, true);
    expect(table.find((r) => r[1] === shop.id)?.slice(0, 5)).toEqual(['老王理发店', shop.id, 'active', '60', '150']);
  });

  it('is for admins only', async () => {
    const unit = await f.orgUnit();
    const merchant = await f.merchant(unit.id);
    expect((await get('/v1/reports/merchants', await app.token('organiser', (await f.organiser(unit.id)).id))).status).toBe(403);
    expect((await get('/v1/reports/merchants', await app.token('merchant', merchant.id))).status).toBe(403);
    expect((await get('/v1/reports/merchants?from=2025-02-01&to=2025-01-01')).status).toBe(400);
  });
});
