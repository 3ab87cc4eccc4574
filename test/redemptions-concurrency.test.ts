import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sweepExpired } from '../src/redemptions/service.js';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { award, ledgerKinds } from './support/ledger.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

// Every caller gets a definite answer: no rate limiting, and requests wait for a connection rather than 503.
const raceEnv = { RATE_LIMIT_PER_SECOND: '0', DB_ACQUIRE_TIMEOUT_MS: '60000', DB_POOL_MAX: '20' };

useTestApp({ env: raceEnv, ledgerSound: true, packsSound: true }, (started) => ({ app, f } = started));

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size) out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j)))));
  return out;
}

async function volunteerWith(points: number) {
  const unit = await f.orgUnit();
  const v = await f.volunteer(unit.id);
  if (points > 0) await award(app, f.adminToken, v.id, points);
  return { ...v, token: await app.token('volunteer', v.id) };
}

const tally = (statuses: { status: number; body: { code?: string } }[]) => {
  const out: Record<string, number> = {};
  for (const r of statuses) {
    const k = r.status < 300 ? String(r.status) : `${r.status} ${r.body.code}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

async function redemptionStatus(id: string): Promise<string> {
  const row = await app.deps.db.selectFrom('redemptions').select('status').where('id', '=', id).executeTakeFirstOrThrow();
  return row.status;
}

/** Each claim ends in exactly one state, and the ledger shows exactly the matching transactions. */
async function expectOneOutcome(id: string, allowed: string[]) {
  const status = await redemptionStatus(id);
  expect(allowed).toContain(status);
  const expected = { redeemed: ['reserve', 'settle'], cancelled: ['reserve', 'release'], expired: ['reserve', 'release'], issued: ['reserve'] }[status];
  expect(await ledgerKinds(app, id)).toEqual(expected);
  return status;
}

describe('races', () => {
  it('200 concurrent redeems of one token settle exactly once; the shop gets replays, others an error', async () => {
    const v = await volunteerWith(100);
    const shop = await f.merchant();
    const pack = await f.pack(shop.id, { stock: 1 });
    const claim = await app.request('POST', '/v1/redemptions', { token: v.token, body: { packId: pack.id } });
    expect(claim.status).toBe(201);
    const shopToken = await app.token('merchant', shop.id);
    const others = await Promise.all(Array.from({ length: 5 }, async () => app.token('merchant', (await f.merchant()).id)));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => app.request('POST', '/v1/redemptions/redeem', { token: i % 4 === 3 ? others[i % 5] : shopToken, body: { token: claim.body.token } })),
    );
    const fromShop = results.filter((_, i) => i % 4 !== 3);
    const fromOthers = results.filter((_, i) => i % 4 === 3);
    expect(tally(fromShop)).toEqual({ 200: 150 });
    expect(new Set(fromShop.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(tally(fromOthers)).toEqual({ '403 token_wrong_merchant': 50 });
    expect(await ledgerKinds(app, claim.body.id)).toEqual(['reserve', 'settle']);
    const balance = await app.request('GET', `/v1/volunteers/${v.id}/balance`, { token: f.adminToken });
    expect(balance.body).toMatchObject({ balance: 70, held: 0 });
    const owed = await app.request('GET', `/v1/merchants/${shop.id}/settlement`, { token: shopToken });
    expect(owed.body).toMatchObject({ redeemed: { count: 1, points: 30 }, owed: 30 });
  });

  it('1,000 concurrent claims on a pack with stock 100 issue exactly 100', async () => {
    const shop = await f.merchant();
    const pack = await f.pack(shop.id, { stock: 100, points: 10 });
    // 200 volunteers making 5 claims each, every one able to afford all five.
    const volunteers = await inBatches(200, 50, () => volunteerWith(50));
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => app.request('POST', '/v1/redemptions', { token: volunteers[i % 200]?.token, body: { packId: pack.id } })),
    );
    expect(tally(results)).toEqual({ 201: 100, '409 out_of_stock': 900 });
    const after = await app.request('GET', `/v1/packs/${pack.id}`, { token: f.adminToken });
    expect(after.body).toMatchObject({ stockLeft: 0, issued: 100, redeemed: 0 });
    const held = await sql<{ n: number; s: number }>`
      select count(*)::int as n, coalesce(sum(a.balance), 0)::bigint as s from accounts a where a.kind = 'held' and a.owner_id in (select volunteer_id from redemptions where pack_id = ${pack.id})`.execute(app.deps.db);
    expect(Number(held.rows[0]?.s)).toBe(100 * 10);
    const listed = await app.request('GET', `/v1/packs?merchantId=${shop.id}`, { token: f.adminToken });
    expect(listed.body.items).toEqual([]);
  });

  it('a volunteer with 100 points making 50 concurrent 30-point claims gets exactly 3', async () => {
    const v = await volunteerWith(100);
    const shop = await f.merchant();
    const pack = await f.pack(shop.id, { points: 30 });
    const results = await Promise.all(Array.from({ length: 50 }, () => app.request('POST', '/v1/redemptions', { token: v.token, body: { packId: pack.id } })));
    expect(tally(results)).toEqual({ 201: 3, '409 insufficient_points': 47 });
    const balance = await app.request('GET', `/v1/volunteers/${v.id}/balance`, { token: f.adminToken });
    expect(balance.body).toMatchObject({ balance: 10, held: 90 });
  });

  it('concurrent claims respect the per-volunteer limit', async () => {
    const v = await volunteerWith(1000);
    const shop = await f.merchant();
    const pack = await f.pack(shop.id, { points: 10, perVolunteerLimit: 2, stock: 50 });
    const results = await Promise.all(Array.from({ length: 20 }, () => app.request('POST', '/v1/redemptions', { token: v.token, body: { packId: pack.id } })));
    expect(tally(results)).toEqual({ 201: 2, '409 limit_reached': 18 });
  });

  it('cancel racing redeem: each claim ends redeemed or cancelled, never both, and the ledger agrees', async () => {
    const shop = await f.merchant();
    const shopToken = await app.token('merchant', shop.id);
    const pack = await f.pack(shop.id, { points: 20, stock: 40 });
    const volunteers = await inBatches(40, 20, () => volunteerWith(20));
    const claims = await Promise.all(volunteers.map((v) => app.request('POST', '/v1/redemptions', { token: v.token, body: { packId: pack.id } })));
    const outcomes = await Promise.all(
      claims.map(async (c, i) => {
        const [redeemed, cancelled] = await Promise.all([
          app.request('POST', '/v1/redemptions/redeem', { token: shopToken, body: { token: c.body.token } }),
          app.request('POST', `/v1/redemptions/${c.body.id}/cancel`, { token: volunteers[i]?.token }),
        ]);
        return { id: c.body.id as string, v: volunteers[i]!, redeemed, cancelled };
      }),
    );
    const seen = new Set<string>();
    for (const o of outcomes) {
      const status = await expectOneOutcome(o.id, ['redeemed', 'cancelled']);
      seen.add(status);
      if (status === 'redeemed') {
        expect(o.redeemed.status).toBe(200);
        expect(o.cancelled.body.code).toBe('token_already_used');
      } else {
        expect(o.cancelled.status).toBe(200);
        expect(o.redeemed.body.code).toBe('token_already_used');
      }
      const balance = await app.request('GET', `/v1/volunteers/${o.v.id}/balance`, { token: f.adminToken });
      expect(balance.body).toMatchObject({ balance: status === 'redeemed' ? 0 : 20, held: 0 });
    }
    const after = await app.request('GET', `/v1/packs/${pack.id}`, { token: f.adminToken });
    expect(after.body.issued).toBe(0);
    expect(after.body.stockLeft + after.body.redeemed).toBe(40);
  });

  it('expiry racing redeem (and the sweeper): each claim ends redeemed or expired, and the ledger agrees', async () => {
    // Tokens live one second; the token check tolerates clock skew, so the database's expiry decides.
    const quick = await startTestApp({ ...raceEnv, DATA_DIR: app.deps.config.DATA_DIR, REDEMPTION_TOKEN_TTL_SECONDS: '1', CLOCK_TOLERANCE_SECONDS: '30' });
    try {
      const shop = await f.merchant();
      const shopToken = await app.token('merchant', shop.id);
      const pack = await f.pack(shop.id, { points: 15, stock: 30 });
      const volunteers = await inBatches(30, 15, () => volunteerWith(15));
      const claims = await Promise.all(volunteers.map((v) => quick.request('POST', '/v1/redemptions', { token: v.token, body: { packId: pack.id } })));
      for (const c of claims) expect(c.status).toBe(201);
      const expiresAt = new Date(claims[0]?.body.expiresAt).getTime();
      // Fire redeems spread across the expiry instant while two sweepers run.
      const sweeping = (async () => {
        let released = 0;
        const until = expiresAt + 1500;
        while (Date.now() < until) {
          const [a, b] = await Promise.all([sweepExpired(app.deps), sweepExpired(quick.deps)]);
          released += a + b;
          await new Promise((r) => setTimeout(r, 5));
        }
        return released;
      })();
      const redeems = await Promise.all(
        claims.map(async (c, i) => {
          const at = new Date(c.body.expiresAt).getTime() - 300 + i * 20;
          await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
          return app.request('POST', '/v1/redemptions/redeem', { token: shopToken, body: { token: c.body.token } });
        }),
      );
      await sweeping;
      await sweepExpired(app.deps);
      const seen: Record<string, number> = {};
      for (const [i, c] of claims.entries()) {
        const status = await expectOneOutcome(c.body.id, ['redeemed', 'expired']);
        seen[status] = (seen[status] ?? 0) + 1;
        const r = redeems[i]!;
        if (status === 'redeemed') expect(r.status).toBe(200);
        else expect({ status: r.status, code: r.body.code }).toEqual({ status: 410, code: 'token_expired' });
      }
      expect((seen.redeemed ?? 0) + (seen.expired ?? 0)).toBe(30);
      const after = await app.request('GET', `/v1/packs/${pack.id}`, { token: f.adminToken });
      expect(after.body).toMatchObject({ issued: 0, redeemed: seen.redeemed ?? 0, stockLeft: 30 - (seen.redeemed ?? 0) });
    } finally {
      await quick.close();
    }
  });
});
