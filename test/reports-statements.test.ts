import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweepExpired } from '../src/redemptions/service.js';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { award, key } from './support/ledger.js';
import { bom, csvTable, parseCsv, reportHelpers, shanghaiDay } from './support/reports.js';
import { useTestApp } from './support/setup.js';

/**
 * Per-subject reports: an activity's participants, a volunteer's statement, the ledger export and a
 * merchant's statement with the redemptions behind the programme summary, as JSON and as CSV.
 */

let app: TestApp;
let f: Factory;

// Low star thresholds (hours) so a statement can show a star with a few records.
useTestApp({ env: { STAR_THRESHOLDS_HOURS: '1,2,3,4,5', PROGRAMME_NAME: '岳塘区志愿服务积分' }, ledgerSound: true }, (started) => ({ app, f } = started));

const hour = 3_600_000;
const { get, recordHours, firstBytes } = reportHelpers(() => ({ app, f }));

describe('activity report', () => {
  it('lists participants with hours, points and pending approvals; an organiser sees only its own subtree', async () => {
    const tree = await f.tree();
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const activity = await f.activity(tree.streetA.id, type.code, { capacity: 10 });
    const [a, b, c] = await Promise.all([f.volunteer(tree.streetA.id), f.volunteer(tree.community.id), f.volunteer(tree.streetA.id)]);
    const outsider = await f.volunteer(tree.streetB.id);
    expect((await app.request('POST', `/v1/activities/${activity.id}/signup`, { token: await app.token('volunteer', a.id) })).status).toBe(201);
    expect((await app.request('POST', `/v1/activities/${activity.id}/signup`, { token: await app.token('volunteer', c.id) })).status).toBe(201);
    await recordHours(activity.id, [{ volunteerId: a.id, minutes: 90 }]);
    const code = (await get(`/v1/activities/${activity.id}/check-in-code`)).body.code;
    for (const v of [b, outsider]) {
      const token = await app.token('volunteer', v.id);
      expect((await app.request('POST', `/v1/activities/${activity.id}/check-in`, { token, body: { code } })).status).toBe(201);
    }

    const res = await get(`/v1/activities/${activity.id}/report`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body.activity).toMatchObject({ id: activity.id, typeCode: type.code, orgUnitId: tree.streetA.id, status: 'open' });
    expect(res.body.totals).toEqual({ signedUp: 2, records: 3, approved: 1, pendingApprovals: 2, rejected: 0, approvedMinutes: 90, pointsCredited: 15 });
    expect(res.body.participantsOutsideScope).toBe(0);
    expect(res.body.items).toHaveLength(4);
    const byId = new Map(res.body.items.map((i: any) => [i.volunteerId, i]));
    expect(byId.get(a.id)).toMatchObject({ signup: 'signed_up', recordStatus: 'approved', minutes: 90, points: 15, pointsCredited: 15 });
    expect(byId.get(b.id)).toMatchObject({ signup: null, recordStatus: 'checked_in', minutes: 0, pointsCredited: 0 });
    expect(byId.get(c.id)).toMatchObject({ signup: 'signed_up', recordId: null, recordStatus: null });

    const organiser = await f.organiser(tree.streetA.id);
    const view = await get(`/v1/activities/${activity.id}/report`, await app.token('organiser', organiser.id));
    expect(view.status).toBe(200);
    expect(view.body.items.map((i: any) => i.volunteerId)).not.toContain(outsider.id);
    expect(view.body.items).toHaveLength(3);
    expect(view.body.participantsOutsideScope).toBe(1);
    expect(view.body.totals.pendingApprovals).toBe(2);

    const csv = await get(`/v1/activities/${activity.id}/report?format=csv`, await app.token('organiser', organiser.id));
    expect(csv.status).toBe(200);
    expect(csvTable(csv.body, true)).toHaveLength(1 + 3);

    const other = await f.organiser(tree.streetB.id);
    expect((await get(`/v1/activities/${activity.id}/report`, await app.token('organiser', other.id))).status).toBe(403);
    expect((await get(`/v1/activities/${activity.id}/report`, await app.token('volunteer', a.id))).status).toBe(403);
    expect((await get('/v1/activities/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f/report')).status).toBe(404);
    expect((await get('/v1/activities/not-a-uuid/report')).status).toBe(400);
  });
});

describe('volunteer statement', () => {
  it('gives opening balance, every line, closing balance, hours and star level, as JSON and printable CSV', async () => {
    const unit = await f.orgUnit(undefined, `五里堆街道 ${Date.now()}`);
    const v = await f.volunteer(unit.id, { name: '王秀英' });
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const activity = await f.activity(unit.id, type.code, { startsAt: new Date(Date.now() - 3 * hour).toISOString(), endsAt: new Date(Date.now() - hour).toISOString() });
    await recordHours(activity.id, [{ volunteerId: v.id, minutes: 120 }]);
    await award(app, f.adminToken, v.id, 30, '清洁, "楼道"');
    await award(app, f.adminToken, v.id, 5, '=1+1');
    const debit = await app.request('POST', '/v1/adjustments', { token: f.adminToken, body: { volunteerId: v.id, points: -10, reason: '更正' }, headers: { 'idempotency-key': key() } });
    expect(debit.status).toBe(201);

    const today = shanghaiDay(new Date());
    // The activity began three hours ago: near midnight in Shanghai that is yesterday, so the range starts on its day.
    const started = shanghaiDay(new Date(Date.now() - 3 * hour));
    const res = await get(`/v1/volunteers/${v.id}/statement?from=${started}&to=${today}`, await app.token('volunteer', v.id));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      programme: '岳塘区志愿服务积分',
      volunteer: { id: v.id, name: '王秀英', orgUnitId: unit.id, orgUnitName: unit.name },
      period: { kind: 'range', firstDay: started, lastDay: today, timeZone: 'Asia/Shanghai' },
      openingBalance: 0,
      credits: 55,
      debits: -10,
      closingBalance: 45,
      heldAtClose: 0,
      entries: 4,
      serviceMinutesInPeriod: 120,
      serviceMinutesToDate: 120,
      starLevel: 2,
    });
    expect(res.body.items.map((i: any) => [i.kind, i.amount, i.balanceAfter])).toEqual([
      ['award', 20, 20],
      ['award', 30, 50],
      ['award', 5, 55],
      ['adjustment', -10, 45],
    ]);
    expect(res.body.items[0].localTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

    const csv = await get(`/v1/volunteers/${v.id}/statement?from=${today}&to=${today}&format=csv`);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="statement-${v.id}-${today}-${today}.csv"`);
    const all = parseCsv(csv.body.replace(/^\ufeff/, ''));
    expect(all).toContainEqual(['志愿者 Volunteer', '王秀英']);
    expect(all).toContainEqual(['期初余额 Opening balance', '0']);
    expect(all).toContainEqual(['期末余额 Closing balance', '45']);
    expect(all).toContainEqual(['星级 Star level', '2']);
    const table = csvTable(csv.body, true);
    expect(table[0]?.[0]).toBe('时间 local time');
    expect(table.slice(1).map((r) => [r[2], r[3]])).toEqual([
      ['', '20'],
      ['清洁, "楼道"', '30'],
      ["'=1+1", '5'],
      ['更正', '-10'],
    ].map(([memo, amount], i) => [i === 0 ? res.body.items[0].memo : memo, amount]));

    // A range that ended the day before the activity holds none of it.
    const yesterday = shanghaiDay(new Date(Date.now() - 27 * hour));
    const before = await get(`/v1/volunteers/${v.id}/statement?from=${yesterday}&to=${yesterday}`);
    expect(before.body).toMatchObject({ openingBalance: 0, closingBalance: 0, entries: 0, items: [], serviceMinutesToDate: 0, starLevel: 0 });
  });

  it('is shown to the volunteer, organisers in scope and admins only', async () => {
    const tree = await f.tree();
    const v = await f.volunteer(tree.community.id);
    const other = await f.volunteer(tree.community.id);
    const inScope = await f.organiser(tree.streetA.id);
    const outOfScope = await f.organiser(tree.streetB.id);
    const merchant = await f.merchant();
    const path = `/v1/volunteers/${v.id}/statement`;
    expect((await get(path, await app.token('organiser', inScope.id))).status).toBe(200);
    expect((await get(path, await app.token('organiser', outOfScope.id))).status).toBe(404);
    expect((await get(path, await app.token('volunteer', other.id))).status).toBe(404);
    expect((await get(path, await app.token('merchant', merchant.id))).status).toBe(403);
    expect((await get('/v1/volunteers/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f/statement')).status).toBe(404);
    const reversed = await get(`${path}?from=2025-02-01&to=2025-01-01`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.errors).toEqual([{ path: 'query.from', message: 'must not be after `to`' }]);
    expect((await get(`${path}?from=2025-02-30`)).status).toBe(400);
    expect((await get(`${path}?from=2000-01-01&to=2025-01-01`)).status).toBe(400);
  });
});

describe('ledger export', () => {
  it('streams every posting in time order across many keyset batches, as CSV and as JSON', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    // 6,000 awards straight through the ledger's one write path, 500 per statement: enough for the
    // export to cross two batch boundaries.
    for (let done = 0; done < 6000; done += 500) {
      await sql`
        select ledger_apply_batch(jsonb_agg(jsonb_build_object(
          'transaction', jsonb_build_object('id', gen_random_uuid(), 'kind', 'award', 'memo', 'export test ' || i, 'actorRole', 'admin', 'actorId', 'test'),
          'postings', jsonb_build_array(
            jsonb_build_object('account', ledger_account_id('issuance:' || (i % 32)), 'amount', -1),
            jsonb_build_object('account', ${v.id}::uuid, 'amount', 1)))))
          from generate_series(${done + 1}::int, ${done + 500}::int) i`.execute(app.deps.db);
    }
    const today = shanghaiDay(new Date());
    const res = await get(`/v1/reports/ledger-export?from=${today}&to=${today}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="ledger-${today}-${today}.csv"`);
    expect(res.body.startsWith('postingId,transactionId,createdAt,kind,')).toBe(true);
    const rows = csvTable(res.body, false);
    const header = rows[0]!;
    expect(rows.every((r) => r.length === header.length)).toBe(true);
    const mine = rows.filter((r) => r[header.indexOf('accountId')] === v.id);
    expect(mine).toHaveLength(6000);
    expect(new Set(mine.map((r) => r[header.indexOf('seq')])).size).toBe(6000);
    // Each transaction appears once, whole: its two postings side by side.
    const postingIds = rows.slice(1).map((r) => Number(r[0]));
    expect(new Set(postingIds).size).toBe(postingIds.length);
    const times = rows.slice(1).map((r) => r[2]!);
    expect([...times].sort()).toEqual(times);
    for (const r of mine.slice(0, 50)) {
      const partners = rows.filter((x) => x[1] === r[1]);
      expect(partners.map((x) => Number(x[header.indexOf('amount')])).reduce((s, n) => s + n, 0)).toBe(0);
    }

    const json = await get(`/v1/reports/ledger-export?from=${today}&to=${today}`);
    expect(json.status).toBe(200);
    expect(json.body.period).toMatchObject({ firstDay: today, lastDay: today });
    expect(json.body.items.filter((i: any) => i.accountId === v.id)).toHaveLength(6000);
    expect(json.body.items[0]).toEqual(expect.objectContaining({ postingId: expect.any(Number), transactionId: expect.any(String), createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/) }));
  });

  it('is for admins only, and refuses a backwards range', async () => {
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    expect((await get('/v1/reports/ledger-export', await app.token('organiser', organiser.id))).status).toBe(403);
    expect((await get('/v1/reports/ledger-export?from=2025-03-01&to=2025-02-01')).status).toBe(400);
    const empty = await get('/v1/reports/ledger-export?from=2020-01-01&to=2020-01-31&format=csv');
    expect(await firstBytes('/v1/reports/ledger-export?from=2020-01-01&to=2020-01-31&format=csv')).toEqual(bom);
    expect(empty.body).toBe('postingId,transactionId,createdAt,kind,accountId,accountKind,ownerId,seq,amount,balanceAfter,reversesTransactionId,reference,memo\r\n');
    const emptyJson = await get('/v1/reports/ledger-export?from=2020-01-01&to=2020-01-31');
    expect(emptyJson.body.items).toEqual([]);
  });
});

describe('redemptions in reports', () => {
  let tree: Awaited<ReturnType<Factory['tree']>>;
  let merchant: { id: string; name: string };
  let lunch: { id: string };
  let haircut: { id: string };
  let a: { id: string };
  let b: { id: string };
  let today: string;

  const claim = async (volunteerId: string, packId: string, target = app) => {
    const res = await target.request('POST', '/v1/redemptions', { token: await target.token('volunteer', volunteerId), body: { packId } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; token: string };
  };
  const redeem = async (code: string) => {
    const res = await app.request('POST', '/v1/redemptions/redeem', { token: await app.token('merchant', merchant.id), body: { token: code } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  beforeAll(async () => {
    tree = await f.tree();
    merchant = await f.merchant(tree.district.id, `新塘社区理发店 ${Date.now()}`);
    lunch = await f.pack(merchant.id, { points: 40, title: '爱心午餐' });
    haircut = await f.pack(merchant.id, { points: 25, title: '免费理发' });
    a = await f.volunteer(tree.streetA.id);
    b = await f.volunteer(tree.streetB.id);
    await award(app, f.adminToken, a.id, 500, 'season');
    await award(app, f.adminToken, b.id, 500, 'season');
    await redeem((await claim(a.id, lunch.id)).token);
    await redeem((await claim(a.id, lunch.id)).token);
    await redeem((await claim(b.id, haircut.id)).token);
    const cancelled = await claim(a.id, haircut.id);
    expect((await app.request('POST', `/v1/redemptions/${cancelled.id}/cancel`, { token: await app.token('volunteer', a.id) })).status).toBe(200);
    const settled = await app.request('POST', `/v1/merchants/${merchant.id}/settlements`, { token: f.adminToken, body: { points: 50, reference: 'BANK-2025-001' }, headers: { 'idempotency-key': key() } });
    expect(settled.status, JSON.stringify(settled.body)).toBe(201);
    today = shanghaiDay(new Date());
  });

  it("gives a merchant every redemption with time, pack and points, the settlements, and what is still owed", async () => {
    const res = await get(`/v1/merchants/${merchant.id}/statement?from=${today}&to=${today}`, await app.token('merchant', merchant.id));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      merchant: { id: merchant.id, name: merchant.name },
      openingOwed: 0,
      redemptions: { count: 3, points: 105 },
      settlements: { count: 1, points: 50 },
      closingOwed: 55,
    });
    expect(res.body.items.map((i: any) => [i.kind, i.packTitle, i.points, i.owedAfter])).toEqual([
      ['redemption', '爱心午餐', 40, 40],
      ['redemption', '爱心午餐', 40, 80],
      ['redemption', '免费理发', 25, 105],
      ['settlement', null, -50, 55],
    ]);
    expect(res.body.items[3].reference).toBe('BANK-2025-001');
    expect(res.body.items[0]).toMatchObject({ redemptionId: expect.any(String), packId: lunch.id, createdAt: expect.any(String) });
    // Owed = redemptions - settlements, and it is exactly the merchant's ledger balance.
    const settlement = await get(`/v1/merchants/${merchant.id}/settlement`);
    expect(settlement.body.owed).toBe(res.body.closingOwed);
    expect(res.body.closingOwed).toBe(res.body.openingOwed + res.body.redemptions.points - res.body.settlements.points);

    const csv = await get(`/v1/merchants/${merchant.id}/statement?from=${today}&to=${today}&format=csv`);
    expect(csv.headers.get('content-disposition')).toContain(`merchant-statement-${merchant.id}-`);
    const all = parseCsv(csv.body);
    expect(all).toContainEqual(['期末应付 Still owed', '55']);
    expect(all).toContainEqual(['商户 Merchant', merchant.name]);
    expect(csvTable(csv.body, true)).toHaveLength(1 + 4);

    const yesterday = shanghaiDay(new Date(Date.now() - 24 * hour));
    const before = await get(`/v1/merchants/${merchant.id}/statement?from=${yesterday}&to=${yesterday}`);
    expect(before.body).toMatchObject({ openingOwed: 0, closingOwed: 0, redemptions: { count: 0, points: 0 }, items: [] });
  });

  it('is shown to the merchant itself and admins only', async () => {
    const other = await f.merchant();
    const path = `/v1/merchants/${merchant.id}/statement`;
    expect((await get(path)).status).toBe(200);
    expect((await get(path, await app.token('merchant', other.id))).status).toBe(404);
    expect((await get(path, await app.token('volunteer', a.id))).status).toBe(403);
    expect((await get(path, await app.token('organiser', (await f.organiser(tree.district.id)).id))).status).toBe(403);
    expect((await get('/v1/merchants/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f/statement')).status).toBe(404);
  });

  it('summarises redemptions by merchant and pack, adding up to points redeemed; expired claims release and change nothing owed', async () => {
    const short = await startTestApp({ DATA_DIR: app.deps.config.DATA_DIR, REDEMPTION_TOKEN_TTL_SECONDS: '1', CLOCK_TOLERANCE_SECONDS: '0' });
    try {
      await claim(a.id, haircut.id, short);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect(await sweepExpired(app.deps)).toBeGreaterThanOrEqual(1);
    } finally {
      await short.close();
    }
    // One claim still open: its points are held, still owed to the volunteer.
    await claim(a.id, lunch.id);

    const res = await get(`/v1/reports/summary?orgUnitId=${tree.streetA.id}&period=month`);
    expect(res.status).toBe(200);
    expect(res.body.redemptions).toEqual([{ merchantId: merchant.id, merchantName: merchant.name, packId: lunch.id, packTitle: '爱心午餐', count: 2, points: 80 }]);
    const p = res.body.points;
    expect(p).toMatchObject({ issued: 500, redeemed: 80, expired: 0, held: 40, outstanding: 420 });
    expect(res.body.redemptions.reduce((sum: number, r: any) => sum + r.points, 0)).toBe(p.redeemed);
    expect(p.opening + p.issued - p.redeemed - p.expired).toBe(p.outstanding);
    expect(p.toDate.issued - p.toDate.redeemed - p.toDate.expired).toBe(p.outstanding);
    expect(res.body.claimsExpired).toEqual({ count: 1, points: 25 });
    const balance = (await get(`/v1/volunteers/${a.id}/balance`)).body;
    expect(balance.balance + balance.held).toBe(p.outstanding);

    const district = await get(`/v1/reports/summary?orgUnitId=${tree.district.id}&period=month`);
    expect(district.body.redemptions.map((r: any) => [r.packTitle, r.count, r.points])).toEqual(
      expect.arrayContaining([
        ['免费理发', 1, 25],
        ['爱心午餐', 2, 80],
      ]),
    );
    expect(district.body.redemptions).toHaveLength(2);
    expect(district.body.points.redeemed).toBe(105);

    // The volunteer's own statement shows the claim, the release and the redemptions on its spendable account.
    const statement = await get(`/v1/volunteers/${a.id}/statement?from=${today}&to=${today}`);
    expect(statement.body.closingBalance).toBe(balance.balance);
    expect(statement.body.heldAtClose).toBe(40);
    expect(statement.body.items.map((i: any) => i.kind)).toEqual(['award', 'reserve', 'reserve', 'reserve', 'release', 'reserve', 'release', 'reserve']);
  });
});
