import { beforeAll, describe, expect, it } from 'vitest';
import { seedDemo, type DemoSummary } from '../scripts/seed-demo.js';
import type { TestApp } from './support/app.js';
import { useTestApp } from './support/setup.js';

/**
 * The demo programme in a database of its own, so whole-programme figures can be compared with the
 * ledger's totals exactly, with no other test writing beside it.
 */
let app: TestApp;
let admin: string;
let demo: DemoSummary;

useTestApp({ scratch: true }, (started) => ({ app } = started));
beforeAll(async () => {
  admin = await app.token('admin', 'demo-test');
  demo = await seedDemo(app.deps, { volunteers: 60, activities: 20, seed: 7 });
}, 180_000);

const get = async (path: string, token = admin) => {
  const res = await app.request('GET', path, { token });
  expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body;
};
const day = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at);

describe('the demo programme', () => {
  it('is built through the service verbs and leaves a ledger that verifies', async () => {
    expect(demo.ledgerOk).toBe(true);
    expect(demo.redemptions).toBeGreaterThan(0);
    expect(demo.settlements).toBeGreaterThan(0);
    const verify = await get('/v1/ledger/verify');
    expect(verify.ok).toBe(true);
    const volunteers = await get(`/v1/volunteers?orgUnitId=${demo.districtId}&limit=200`);
    expect(volunteers.items).toHaveLength(60);
    expect(volunteers.items.every((v: { name: string }) => /^[\u4e00-\u9fff]{2,3}$/.test(v.name))).toBe(true);
  });

  it('refuses to seed a database that already holds a programme', async () => {
    await expect(seedDemo(app.deps, { volunteers: 10, activities: 1 })).rejects.toThrow(/fresh database/);
  });

  it('reports figures that match the ledger: issued - redeemed - expired = outstanding, for the whole programme', async () => {
    const totals = await get('/v1/ledger/totals');
    // The year up to today covers the whole season only if it began this year, so ask for every
    // year the season touches and take the latest: to-date figures run from the programme's start.
    const summary = await get(`/v1/reports/summary?period=year&at=${day(new Date())}`);
    const p = summary.points;
    expect(p.toDate.issued - p.toDate.redeemed - p.toDate.expired).toBe(p.outstanding);
    expect(p.opening + p.issued - p.redeemed - p.expired).toBe(p.outstanding);
    expect(p.outstanding).toBe(totals.outstanding);
    expect(p.held).toBe(totals.held);
    expect(p.toDate.issued).toBe(totals.issued);
    expect(p.toDate.redeemed).toBe(totals.redeemed);
    expect(p.expired).toBe(0);
    // Redemptions by merchant and pack add up to the points redeemed (all of them today, when seeded).
    expect(summary.redemptions.reduce((s: number, r: { points: number }) => s + r.points, 0)).toBe(p.redeemed);
    expect(summary.redemptions.reduce((s: number, r: { count: number }) => s + r.count, 0)).toBe(demo.redemptions);
    expect(summary.volunteers.registered).toBe(60);
  });

  it("gives each merchant an owed amount equal to its redemptions minus its settlements, and to its ledger balance", async () => {
    const today = day(new Date());
    let owedTotal = 0;
    for (const m of demo.merchants) {
      const statement = await get(`/v1/merchants/${m.id}/statement?from=${today}&to=${today}`, await app.token('merchant', m.id));
      expect(statement.closingOwed).toBe(statement.openingOwed + statement.redemptions.points - statement.settlements.points);
      const lines = statement.items as { kind: string; points: number }[];
      expect(lines.filter((l) => l.kind === 'redemption').reduce((s, l) => s + l.points, 0)).toBe(statement.redemptions.points);
      expect(-lines.filter((l) => l.kind === 'settlement').reduce((s, l) => s + l.points, 0)).toBe(statement.settlements.points);
      const settlement = await get(`/v1/merchants/${m.id}/settlement`);
      expect(statement.closingOwed).toBe(settlement.owed);
      owedTotal += statement.closingOwed;
    }
    expect(owedTotal).toBe((await get('/v1/ledger/totals')).owedToMerchants);
  });

  it("keeps each organiser's reports inside its subtree", async () => {
    const organiser = demo.organisers.find((o) => o.unit === '云峰社区');
    expect(organiser).toBeDefined();
    const token = await app.token('organiser', organiser!.id);
    const own = await get('/v1/reports/summary?period=year', token);
    const everyone = await get('/v1/reports/summary?period=year');
    expect(own.volunteers.registered).toBeGreaterThan(0);
    expect(own.volunteers.registered).toBeLessThan(everyone.volunteers.registered);
    const board = await get(`/v1/reports/leaderboard?period=year&limit=100&by=points`, token);
    const mine = new Set(((await get(`/v1/volunteers?limit=200`, token)).items as { id: string }[]).map((v) => v.id));
    expect(board.items.length).toBeGreaterThan(0);
    for (const entry of board.items) expect(mine.has(entry.volunteerId)).toBe(true);
  });
});
