import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvField, csvLine } from '../src/reports/csv.js';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { award, key } from './support/ledger.js';
import { bom, csvTable, reportHelpers, shanghaiDay } from './support/reports.js';
import { useTestApp } from './support/setup.js';

/**
 * Programme reports: CSV encoding, periods in the programme time zone, the leaderboard, the
 * programme summary, and the metrics. Per-subject reports (an activity's, a volunteer's and a
 * merchant's statements, the ledger export) are in reports-statements.test.ts.
 */

let app: TestApp;
let f: Factory;

// Low star thresholds (hours) so a statement can show a star with a few records.
useTestApp({ env: { STAR_THRESHOLDS_HOURS: '1,2,3,4,5', PROGRAMME_NAME: '岳塘区志愿服务积分' }, ledgerSound: true }, (started) => ({ app, f } = started));

const hour = 3_600_000;
const { get, recordHours, firstBytes } = reportHelpers(() => ({ app, f }));

describe('CSV encoding', () => {
  it('quotes commas, quotes and line breaks, and defuses spreadsheet formulas in text but not numbers', () => {
    expect(csvField('王秀英')).toBe('王秀英');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('-5 by hand')).toBe("'-5 by hand");
    expect(csvField(-5)).toBe('-5');
    expect(csvField(null)).toBe('');
    expect(csvLine([1, 'x', null])).toBe('1,x,\r\n');
  });
});

describe('periods follow the programme time zone', () => {
  // 23:30 on 31 January in Shanghai is 15:30 UTC: January there. 00:30 on 1 February in Shanghai is
  // still 31 January in UTC: February in Shanghai, January in UTC.
  const lastEvening = { startsAt: '2025-01-31T15:30:00Z', endsAt: '2025-01-31T16:30:00Z' };
  const firstMorning = { startsAt: '2025-01-31T16:30:00Z', endsAt: '2025-01-31T17:30:00Z' };
  let district: { id: string };
  let volunteerId: string;

  beforeAll(async () => {
    district = await f.orgUnit();
    const v = await f.volunteer(district.id);
    volunteerId = v.id;
    const type = await f.activityType({ kind: 'per_hour', points: 60 });
    const evening = await f.activity(district.id, type.code, lastEvening);
    const morning = await f.activity(district.id, type.code, firstMorning);
    await recordHours(evening.id, [{ volunteerId, minutes: 60 }]);
    await recordHours(morning.id, [{ volunteerId, minutes: 30 }]);
  });

  const minutesIn = async (period: string, at: string, target = app) => {
    const res = await target.request('GET', `/v1/reports/leaderboard?orgUnitId=${district.id}&period=${period}&at=${at}&by=hours`, { token: await target.token('admin', 'tz') });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { minutes: res.body.items.find((i: any) => i.volunteerId === volunteerId)?.minutes ?? 0, period: res.body.period };
  };

  it('an activity at 23:30 on the last day of a month in Asia/Shanghai counts in that month', async () => {
    const january = await minutesIn('month', '2025-01-15');
    expect(january.minutes).toBe(60);
    expect(january.period).toEqual({
      kind: 'month',
      label: '2025-01',
      firstDay: '2025-01-01',
      lastDay: '2025-01-31',
      timeZone: 'Asia/Shanghai',
      from: '2024-12-31T16:00:00.000Z',
      to: '2025-01-31T16:00:00.000Z',
    });
    expect((await minutesIn('month', '2025-02-28')).minutes).toBe(30);
    const quarter = await minutesIn('quarter', '2025-03-31');
    expect(quarter).toMatchObject({ minutes: 90, period: { label: '2025-Q1', firstDay: '2025-01-01', lastDay: '2025-03-31' } });
    expect((await minutesIn('year', '2024-06-01')).minutes).toBe(0);
    expect((await minutesIn('year', '2025-12-31')).period).toMatchObject({ label: '2025', lastDay: '2025-12-31' });
  });

  it('the same activities fall differently under another programme time zone', async () => {
    const utcApp = await startTestApp({ PROGRAMME_TIME_ZONE: 'UTC' });
    try {
      const january = await minutesIn('month', '2025-01-15', utcApp);
      expect(january.minutes).toBe(90);
      expect(january.period).toMatchObject({ from: '2025-01-01T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z', timeZone: 'UTC' });
    } finally {
      await utcApp.close();
    }
  });

  it('the summary counts activities and hours by the same boundaries', async () => {
    const january = await get(`/v1/reports/summary?orgUnitId=${district.id}&period=month&at=2025-01-31`);
    expect(january.status).toBe(200);
    expect(january.body.activitiesHeld).toBe(1);
    expect(january.body.volunteers.active).toBe(1);
    expect(january.body.hoursByType).toEqual([expect.objectContaining({ minutes: 60, hours: 1, records: 1, volunteers: 1 })]);
    const february = await get(`/v1/reports/summary?orgUnitId=${district.id}&period=month&at=2025-02-01`);
    expect(february.body.activitiesHeld).toBe(1);
    expect(february.body.hoursByType).toEqual([expect.objectContaining({ minutes: 30 })]);
  });

  it('refuses a malformed or impossible day and an unknown period', async () => {
    for (const query of ['at=2025-02-30', 'at=31-01-2025', 'period=week', 'by=stars', 'limit=0', 'limit=101']) {
      const res = await get(`/v1/reports/leaderboard?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });
});

describe('leaderboard', () => {
  let tree: Awaited<ReturnType<Factory['tree']>>;
  let day: string;
  const people: Record<string, { id: string; name: string }> = {};

  beforeAll(async () => {
    tree = await f.tree();
    // Names with a comma and a quote prove the CSV quoting end to end.
    people.a = await f.volunteer(tree.community.id, { name: '王秀英' });
    people.b = await f.volunteer(tree.streetA.id, { name: '李,"建国"' });
    people.c = await f.volunteer(tree.streetA.id, { name: '张伟' });
    people.d = await f.volunteer(tree.streetB.id, { name: '刘洋' });
    people.idle = await f.volunteer(tree.streetA.id, { name: '陈静' });
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const started = new Date(Date.now() - 3 * hour);
    day = shanghaiDay(started);
    const past = await f.activity(tree.district.id, type.code, { startsAt: started.toISOString(), endsAt: new Date(started.getTime() + 2 * hour).toISOString() });
    await recordHours(past.id, [
      { volunteerId: people.a!.id, minutes: 60 },
      { volunteerId: people.b!.id, minutes: 120 },
      { volunteerId: people.c!.id, minutes: 60 },
      { volunteerId: people.d!.id, minutes: 120 },
    ]);
    // Extra points for c without hours: the points board differs from the hours board.
    await award(app, f.adminToken, people.c!.id, 500, 'bonus');
  });

  it('ranks by approved hours with shared ranks, and by points earned', async () => {
    const res = await get(`/v1/reports/leaderboard?orgUnitId=${tree.streetA.id}&period=month&at=${day}&by=hours`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ orgUnitId: tree.streetA.id, by: 'hours', ranked: 3, me: null });
    expect(res.body.items[0]).toEqual({ rank: 1, volunteerId: people.b!.id, name: '李,"建国"', orgUnitId: tree.streetA.id, minutes: 120, hours: 2, points: 20 });
    // a and c tie for second; ties list in id order.
    const tied = [people.a!.id, people.c!.id].sort();
    expect(res.body.items.slice(1).map((i: any) => [i.rank, i.volunteerId, i.minutes])).toEqual(tied.map((id) => [2, id, 60]));
    const byPoints = await get(`/v1/reports/leaderboard?orgUnitId=${tree.streetA.id}&period=month&at=${day}&by=points&limit=1`);
    expect(byPoints.body.items).toEqual([expect.objectContaining({ rank: 1, volunteerId: people.c!.id, points: 510, minutes: 60 })]);
    expect(byPoints.body.ranked).toBe(3);
  });

  it('counts only approved hours: pending and checked-in records count for nothing until approved', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const type = await f.activityType({ kind: 'per_hour', points: 10 });
    const running = await f.activity(unit.id, type.code);
    const code = (await get(`/v1/activities/${running.id}/check-in-code`)).body.code;
    const token = await app.token('volunteer', v.id);
    expect((await app.request('POST', `/v1/activities/${running.id}/check-in`, { token, body: { code } })).status).toBe(201);
    const out = await app.request('POST', `/v1/activities/${running.id}/check-out`, { token, body: { code } });
    expect(out.status).toBe(200);
    const corrected = await app.request('POST', `/v1/records/${out.body.id}/corrections`, { token: f.adminToken, body: { minutes: 45, reason: 'forgot to check out' }, headers: { 'idempotency-key': key() } });
    expect(corrected.status, JSON.stringify(corrected.body)).toBe(201);
    const at = shanghaiDay(new Date(Date.now() - hour));
    const before = await get(`/v1/reports/leaderboard?orgUnitId=${unit.id}&at=${at}`);
    expect(before.body.items).toEqual([]);
    expect(before.body.ranked).toBe(0);
    expect((await app.request('POST', `/v1/records/${out.body.id}/approve`, { token: f.adminToken })).status).toBe(200);
    const after = await get(`/v1/reports/leaderboard?orgUnitId=${unit.id}&at=${at}`);
    expect(after.body.items).toEqual([expect.objectContaining({ rank: 1, volunteerId: v.id, minutes: 45 })]);
  });

  it('shows a volunteer its own rank and nobody else', async () => {
    const token = await app.token('volunteer', people.c!.id);
    const own = await get(`/v1/reports/leaderboard?period=month&at=${day}`, token);
    expect(own.status).toBe(200);
    // c's own unit is streetA: b (120) ranks first, a and c share second.
    expect(own.body).toMatchObject({ orgUnitId: tree.streetA.id, items: [], ranked: 3, me: { rank: 2, minutes: 60, hours: 1, points: 510 } });
    const district = await get(`/v1/reports/leaderboard?orgUnitId=${tree.district.id}&period=month&at=${day}`, token);
    expect(district.body.me.rank).toBe(3);
    expect(district.body.items).toEqual([]);
    const idle = await get(`/v1/reports/leaderboard?period=month&at=${day}`, await app.token('volunteer', people.idle!.id));
    expect(idle.body.me).toEqual({ rank: null, minutes: 0, hours: 0, points: 0 });
    // A unit the volunteer does not belong to does not exist as far as it can tell.
    const elsewhere = await get(`/v1/reports/leaderboard?orgUnitId=${tree.streetB.id}`, token);
    expect(elsewhere.status).toBe(404);
    const below = await get(`/v1/reports/leaderboard?orgUnitId=${tree.community.id}`, token);
    expect(below.status).toBe(404);
  });

  it("never shows an organiser another subtree's volunteers", async () => {
    const organiser = await f.organiser(tree.streetA.id);
    const token = await app.token('organiser', organiser.id);
    const own = await get(`/v1/reports/leaderboard?period=month&at=${day}`, token);
    expect(own.status).toBe(200);
    expect(own.body.orgUnitId).toBe(tree.streetA.id);
    const ids = own.body.items.map((i: any) => i.volunteerId);
    expect(ids).toHaveLength(3);
    expect(ids).not.toContain(people.d!.id);
    const admin = await get(`/v1/reports/leaderboard?orgUnitId=${tree.district.id}&period=month&at=${day}`);
    expect(admin.body.items.map((i: any) => i.volunteerId)).toContain(people.d!.id);
    for (const unit of [tree.district.id, tree.streetB.id, '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f']) {
      const res = await get(`/v1/reports/leaderboard?orgUnitId=${unit}`, token);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    const merchant = await f.merchant();
    expect((await get('/v1/reports/leaderboard', await app.token('merchant', merchant.id))).status).toBe(403);
    expect((await app.request('GET', '/v1/reports/leaderboard')).status).toBe(401);
  });

  it('exports as CSV with a byte order mark, Chinese names and quoting, by ?format=csv or Accept', async () => {
    const viaQuery = await get(`/v1/reports/leaderboard?orgUnitId=${tree.streetA.id}&period=month&at=${day}&format=csv`);
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(viaQuery.headers.get('content-disposition')).toMatch(/^attachment; filename="leaderboard-hours-\d{4}-\d{2}\.csv"$/);
    expect(await firstBytes(`/v1/reports/leaderboard?orgUnitId=${tree.streetA.id}&at=${day}&format=csv`)).toEqual(bom);
    const rows = csvTable(viaQuery.body, false);
    expect(rows[0]).toEqual(['名次 rank', '志愿者 volunteer', 'volunteerId', 'orgUnitId', '服务分钟 minutes', '服务小时 hours', '积分 points']);
    expect(rows[1]?.slice(0, 2)).toEqual(['1', '李,"建国"']);
    expect(rows).toHaveLength(4);
    const viaAccept = await get(`/v1/reports/leaderboard?orgUnitId=${tree.streetA.id}&at=${day}`, f.adminToken, { accept: 'text/csv' });
    expect(viaAccept.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(viaAccept.body).toBe(viaQuery.body);
  });
});

describe('programme summary', () => {
  it('balances against the ledger: opening + issued - redeemed - expired = outstanding, and to date issued - redeemed - expired = outstanding', async () => {
    const tree = await f.tree();
    const a = await f.volunteer(tree.community.id);
    const b = await f.volunteer(tree.streetA.id);
    const outsider = await f.volunteer(tree.streetB.id);
    const type = await f.activityType({ kind: 'per_hour', points: 12 });
    const activity = await f.activity(tree.streetA.id, type.code, { startsAt: new Date(Date.now() - 2 * hour).toISOString(), endsAt: new Date(Date.now() - hour).toISOString() });
    await recordHours(activity.id, [
      { volunteerId: a.id, minutes: 60 },
      { volunteerId: b.id, minutes: 30 },
      { volunteerId: outsider.id, minutes: 60 },
    ]);
    const bonus = await award(app, f.adminToken, a.id, 100, 'bonus');
    await award(app, f.adminToken, b.id, 40, 'bonus');
    await award(app, f.adminToken, outsider.id, 1000, 'elsewhere');
    const adjust = await app.request('POST', '/v1/adjustments', { token: f.adminToken, body: { volunteerId: b.id, points: -15, reason: 'duplicate' }, headers: { 'idempotency-key': key() } });
    expect(adjust.status).toBe(201);
    const reversal = await app.request('POST', `/v1/transactions/${bonus.transactionId}/reverse`, { token: f.adminToken, body: { reason: 'mistake' }, headers: { 'idempotency-key': key() } });
    expect(reversal.status).toBe(201);

    const res = await get(`/v1/reports/summary?orgUnitId=${tree.streetA.id}&period=year&at=${shanghaiDay(new Date(Date.now() - 2 * hour))}`);
    expect(res.status).toBe(200);
    const p = res.body.points;
    // a: 12 + 100 - 100 = 12; b: 6 + 40 - 15 = 31; the outsider is in another subtree.
    expect(p.issued).toBe(43);
    expect(p.outstanding).toBe(43);
    expect(p.opening).toBe(0);
    expect(p.expired).toBe(0);
    expect(p.held).toBe(0);
    expect(p.opening + p.issued - p.redeemed - p.expired).toBe(p.outstanding);
    expect(p.toDate.issued - p.toDate.redeemed - p.toDate.expired).toBe(p.outstanding);
    // Outstanding is exactly what the volunteers hold, spendable plus reserved.
    let held = 0;
    for (const v of [a, b]) {
      const balance = (await get(`/v1/volunteers/${v.id}/balance`)).body;
      held += balance.balance + balance.held;
    }
    expect(held).toBe(p.outstanding);
    expect(res.body.volunteers).toEqual({ registered: 2, active: 2, new: 2 });
    expect(res.body.activitiesHeld).toBe(1);
    expect(res.body.hoursByType).toEqual([{ typeCode: type.code, typeName: `type ${type.code}`, minutes: 90, hours: 1.5, records: 2, volunteers: 2 }]);
    expect(res.body.claimsExpired).toEqual({ count: 0, points: 0 });
    expect(res.body.redemptions).toEqual([]);

    // A period that ended before any of this shows nothing issued and nothing outstanding.
    const past = await get(`/v1/reports/summary?orgUnitId=${tree.streetA.id}&period=year&at=2020-06-01`);
    expect(past.body.points).toEqual({ issued: 0, redeemed: 0, expired: 0, opening: 0, outstanding: 0, held: 0, toDate: { issued: 0, redeemed: 0, expired: 0 } });
    expect(past.body.volunteers).toEqual({ registered: 0, active: 0, new: 0 });
  });

  it("keeps an organiser inside its subtree and refuses volunteers and merchants", async () => {
    const tree = await f.tree();
    await award(app, f.adminToken, (await f.volunteer(tree.streetA.id)).id, 7, 'a');
    await award(app, f.adminToken, (await f.volunteer(tree.streetB.id)).id, 900, 'b');
    const organiser = await f.organiser(tree.streetA.id);
    const token = await app.token('organiser', organiser.id);
    const own = await get('/v1/reports/summary?period=month', token);
    expect(own.status).toBe(200);
    expect(own.body.orgUnitId).toBe(tree.streetA.id);
    expect(own.body.points.issued).toBe(7);
    expect(own.body.volunteers.registered).toBe(1);
    expect((await get(`/v1/reports/summary?orgUnitId=${tree.streetB.id}`, token)).status).toBe(404);
    expect((await get(`/v1/reports/summary?orgUnitId=${tree.district.id}`, token)).status).toBe(404);
    const v = await f.volunteer(tree.streetA.id);
    expect((await get('/v1/reports/summary', await app.token('volunteer', v.id))).status).toBe(403);
  });

  it('exports as a long CSV table, section by section', async () => {
    const unit = await f.orgUnit();
    await award(app, f.adminToken, (await f.volunteer(unit.id)).id, 5, 'x');
    const res = await get(`/v1/reports/summary?orgUnitId=${unit.id}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.body.startsWith('期间 Period,')).toBe(true);
    expect(await firstBytes(`/v1/reports/summary?orgUnitId=${unit.id}&format=csv`)).toEqual(bom);
    const rows = csvTable(res.body, true);
    expect(rows[0]).toEqual(['section', 'key', '项目 name', '数值 value']);
    expect(rows).toContainEqual(['points', 'issued', '发放积分', '5']);
    expect(rows).toContainEqual(['volunteers', 'registered', '登记志愿者', '1']);
  });
});

describe('metrics', () => {
  it('report requests by route and status, ledger transactions by kind, sweeper runs and pool use', async () => {
    const unit = await f.orgUnit();
    await award(app, f.adminToken, (await f.volunteer(unit.id)).id, 3, 'metrics');
    await get('/v1/reports/leaderboard');
    const res = await app.request('GET', '/metrics');
    expect(res.status).toBe(200);
    const text = res.body as string;
    expect(text).toMatch(/jifen_http_requests_total\{method="GET",route="\/v1\/reports\/leaderboard",status="200"\} \d+/);
    expect(text).toMatch(/jifen_http_request_duration_seconds_count\{method="GET",route="\/v1\/reports\/leaderboard",status="200"\} \d+/);
    const awards = Number(/jifen_ledger_transactions\{kind="award"\} (\d+)/.exec(text)?.[1]);
    const counted = await sql<{ n: number }>`select count(*)::bigint as n from ledger_transactions where kind = 'award'`.execute(app.deps.db);
    // Other test files write to the same database concurrently, so the gauge may trail by a few.
    expect(awards).toBeGreaterThan(0);
    expect(awards).toBeLessThanOrEqual(counted.rows[0]!.n);
    expect(text).toContain('jifen_db_pool_connections{state="max"} 10');
    expect(text).toMatch(/jifen_db_pool_connections\{state="in_use"\} \d+/);
    expect(text).toContain('# TYPE jifen_sweeper_runs_total counter');
    expect(text).toContain('# TYPE jifen_redemptions gauge');

    // A later scrape keeps counting exactly: one more award is one more in the gauge.
    const before = Number(/jifen_ledger_transactions\{kind="adjustment"\} (\d+)/.exec(text)?.[1] ?? 0);
    await app.request('POST', '/v1/adjustments', { token: f.adminToken, body: { volunteerId: (await f.volunteer(unit.id)).id, points: 1, reason: 'm' }, headers: { 'idempotency-key': key() } });
    const again = (await app.request('GET', '/metrics')).body as string;
    expect(Number(/jifen_ledger_transactions\{kind="adjustment"\} (\d+)/.exec(again)?.[1])).toBeGreaterThanOrEqual(before + 1);
  });
});
