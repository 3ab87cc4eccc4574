import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { award, key } from './support/ledger.js';
import { reportHelpers, shanghaiDay } from './support/reports.js';
import { useTestApp } from './support/setup.js';

/** The office's chart figures (months, star levels, merchants owed) on the embedded database (PGlite). */

let app: TestApp;
let f: Factory;
useTestApp({ env: { DATABASE_URL: '', MIGRATE_ON_START: 'true', STAR_THRESHOLDS_HOURS: '1,2,3,4,5' }, ledgerSound: true }, (started) => ({ app, f } = started));
const { get, recordHours } = reportHelpers(() => ({ app, f }));

describe('office figures on embedded PostgreSQL', () => {
  it('gives months, star levels and what each merchant is owed, as on PostgreSQL', async () => {
    expect(app.deps.database.kind).toBe('pglite');
    const unit = await f.orgUnit();
    const type = await f.activityType({ kind: 'per_hour', points: 60 }, 'clean');
    const activity = await f.activity(unit.id, type.code, { startsAt: '2025-01-31T15:30:00Z', endsAt: '2025-01-31T18:30:00Z' });
    const [a, b] = await Promise.all([f.volunteer(unit.id), f.volunteer(unit.id)]);
    await recordHours(activity.id, [
      { volunteerId: a.id, minutes: 150 },
      { volunteerId: b.id, minutes: 30 },
    ]);
    const months = await get(`/v1/reports/months?orgUnitId=${unit.id}&from=2025-01&to=2025-02`);
    expect(months.status, JSON.stringify(months.body)).toBe(200);
    expect(months.body.items.map((m: any) => [m.month, m.minutes, m.volunteers])).toEqual([
      ['2025-01', 180, 2],
      ['2025-02', 0, 0],
    ]);
    const thisMonth = shanghaiDay(new Date()).slice(0, 7);
    const issued = await get(`/v1/reports/months?orgUnitId=${unit.id}&from=${thisMonth}&to=${thisMonth}`);
    expect(issued.body.items[0].pointsIssued).toBe(180);

    const stars = await get(`/v1/reports/star-levels?orgUnitId=${unit.id}`);
    expect(stars.status, JSON.stringify(stars.body)).toBe(200);
    expect(stars.body.items.map((i: any) => i.volunteers)).toEqual([1, 0, 1, 0, 0, 0]);

    const shop = await f.merchant(unit.id, '社区食堂');
    const pack = await f.pack(shop.id, { points: 40 });
    await award(app, f.adminToken, a.id, 100);
    const claim = await app.request('POST', '/v1/redemptions', { token: await app.token('volunteer', a.id), body: { packId: pack.id } });
    expect((await app.request('POST', '/v1/redemptions/redeem', { token: await app.token('merchant', shop.id), body: { token: claim.body.token } })).status).toBe(200);
    const paid = await app.request('POST', `/v1/merchants/${shop.id}/settlements`, { token: f.adminToken, body: { points: 25, reference: 'EMB-1' }, headers: { 'idempotency-key': key() } });
    expect(paid.status).toBe(201);
    const owed = await get('/v1/reports/merchants');
    expect(owed.status, JSON.stringify(owed.body)).toBe(200);
    expect(owed.body.items.find((m: any) => m.merchantId === shop.id)).toMatchObject({ owed: 15, settledTotal: 25, redeemedCount: 1, settledCount: 1 });
    expect(owed.body.totals.owed).toBe((await get('/v1/ledger/totals')).body.owedToMerchants);
  });
});
