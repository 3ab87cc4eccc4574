import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepExpired } from '../src/redemptions/service.js';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { award, balanceOf, key, ledgerKinds } from './support/ledger.js';

let app: TestApp;
let f: Factory;

useTestApp({ ledgerSound: true, packsSound: true }, (started) => ({ app, f } = started));

/** A volunteer with points, a merchant and a pack: the cast of most tests here. */
async function scene(options: { points?: number; pack?: Parameters<Factory['pack']>[1] } = {}) {
  const unit = await f.orgUnit();
  const volunteer = await f.volunteer(unit.id);
  if ((options.points ?? 100) > 0) await award(app, f.adminToken, volunteer.id, options.points ?? 100);
  const merchant = await f.merchant();
  const pack = await f.pack(merchant.id, options.pack);
  return {
    volunteer,
    merchant,
    pack,
    volunteerToken: await app.token('volunteer', volunteer.id),
    merchantToken: await app.token('merchant', merchant.id),
  };
}

const claim = (token: string, packId: string, headers: Record<string, string> = {}) => app.request('POST', '/v1/redemptions', { token, body: { packId }, headers });
const redeem = (token: string, code: string) => app.request('POST', '/v1/redemptions/redeem', { token, body: { token: code } });

async function balances(volunteerId: string) {
  const res = await app.request('GET', `/v1/volunteers/${volunteerId}/balance`, { token: f.adminToken });
  return { balance: res.body.balance as number, held: res.body.held as number };
}

describe('claim, show, redeem', () => {
  it('reserves the points and a unit of stock, then settles them to the merchant exactly once', async () => {
    const s = await scene({ pack: { points: 30, stock: 5 } });
    const claimed = await claim(s.volunteerToken, s.pack.id);
    expect(claimed.status).toBe(201);
    expect(claimed.body).toMatchObject({ packId: s.pack.id, points: 30, status: 'issued' });
    expect(claimed.body.token.length).toBeLessThanOrEqual(300);
    expect(new Date(claimed.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(await balances(s.volunteer.id)).toEqual({ balance: 70, held: 30 });
    expect((await app.request('GET', `/v1/packs/${s.pack.id}`, { token: f.adminToken })).body).toMatchObject({ stockLeft: 4, issued: 1, redeemed: 0 });

    const redeemed = await redeem(s.merchantToken, claimed.body.token);
    expect(redeemed.status).toBe(200);
    expect(redeemed.body).toEqual({
      id: claimed.body.id,
      packId: s.pack.id,
      packTitle: expect.stringMatching(/^pack /),
      volunteerId: s.volunteer.id,
      volunteerName: expect.stringMatching(/^v\*+ \d\*+$/),
      points: 30,
      status: 'redeemed',
      redeemedAt: expect.any(String),
    });
    expect(await balances(s.volunteer.id)).toEqual({ balance: 70, held: 0 });
    expect((await app.request('GET', `/v1/packs/${s.pack.id}`, { token: f.adminToken })).body).toMatchObject({ stockLeft: 4, issued: 0, redeemed: 1 });

    const retry = await redeem(s.merchantToken, claimed.body.token);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(redeemed.body);
    expect(await ledgerKinds(app, claimed.body.id)).toEqual(['reserve', 'settle']);
    const summary = await app.request('GET', `/v1/merchants/${s.merchant.id}/settlement`, { token: s.merchantToken });
    expect(summary.body).toMatchObject({ redeemed: { count: 1, points: 30 }, owed: 30, settledTotal: 0 });
  });

  it('shows the claim to its volunteer, its merchant and admins, and as 404 to anyone else', async () => {
    const s = await scene();
    const claimed = await claim(s.volunteerToken, s.pack.id);
    const mine = await app.request('GET', `/v1/redemptions/${claimed.body.id}`, { token: s.volunteerToken });
    expect(mine.body).toMatchObject({ id: claimed.body.id, status: 'issued', token: claimed.body.token, volunteerId: s.volunteer.id });
    const shop = await app.request('GET', `/v1/redemptions/${claimed.body.id}`, { token: s.merchantToken });
    expect(shop.status).toBe(200);
    expect(shop.body.token).toBeUndefined();
    expect((await app.request('GET', `/v1/redemptions/${claimed.body.id}`, { token: f.adminToken })).status).toBe(200);
    const other = await scene();
    expect((await app.request('GET', `/v1/redemptions/${claimed.body.id}`, { token: other.volunteerToken })).status).toBe(404);
    expect((await app.request('GET', `/v1/redemptions/${claimed.body.id}`, { token: other.merchantToken })).status).toBe(404);
    expect((await app.request('GET', '/v1/redemptions/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { token: f.adminToken })).status).toBe(404);
  });

  it('renders the code as an SVG QR code for its owner only', async () => {
    const s = await scene();
    const claimed = await claim(s.volunteerToken, s.pack.id);
    const qr = await app.request('GET', `/v1/redemptions/${claimed.body.id}/qr.svg`, { token: s.volunteerToken });
    expect(qr.status).toBe(200);
    expect(qr.headers.get('content-type')).toBe('image/svg+xml');
    expect(qr.body).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const other = await scene();
    expect((await app.request('GET', `/v1/redemptions/${claimed.body.id}/qr.svg`, { token: other.volunteerToken })).status).toBe(404);
    expect((await app.request('GET', `/v1/redemptions/${claimed.body.id}/qr.svg`, { token: s.merchantToken })).status).toBe(404);
    await redeem(s.merchantToken, claimed.body.token);
    const used = await app.request('GET', `/v1/redemptions/${claimed.body.id}/qr.svg`, { token: s.volunteerToken });
    expect(used.status).toBe(409);
    expect(used.body.code).toBe('token_already_used');
  });

  it('replays a claim made with the same Idempotency-Key, and refuses the key with another body', async () => {
    const s = await scene();
    const k = key();
    const first = await claim(s.volunteerToken, s.pack.id, { 'idempotency-key': k });
    const again = await claim(s.volunteerToken, s.pack.id, { 'idempotency-key': k });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await balances(s.volunteer.id)).toEqual({ balance: 70, held: 30 });
    const otherPack = await f.pack(s.merchant.id);
    expect((await claim(s.volunteerToken, otherPack.id, { 'idempotency-key': k })).body.code).toBe('idempotency_key_reused');
  });

  it('lists a volunteer’s claims newest first, to the volunteer and admins', async () => {
    const s = await scene({ points: 200 });
    const a = await claim(s.volunteerToken, s.pack.id);
    const b = await claim(s.volunteerToken, s.pack.id);
    const c = await claim(s.volunteerToken, s.pack.id);
    const page1 = await app.request('GET', `/v1/volunteers/${s.volunteer.id}/redemptions?limit=2`, { token: s.volunteerToken });
    expect(page1.body.items.map((r: { id: string }) => r.id)).toEqual([c.body.id, b.body.id]);
    const page2 = await app.request('GET', `/v1/volunteers/${s.volunteer.id}/redemptions?limit=2&cursor=${page1.body.nextCursor}`, { token: f.adminToken });
    expect(page2.body.items.map((r: { id: string }) => r.id)).toEqual([a.body.id]);
    const other = await scene();
    expect((await app.request('GET', `/v1/volunteers/${s.volunteer.id}/redemptions`, { token: other.volunteerToken })).status).toBe(404);
    expect((await app.request('GET', `/v1/volunteers/${s.volunteer.id}/redemptions`, { token: other.merchantToken })).status).toBe(403);
  });
});

describe('claim refusals', () => {
  it('insufficient_points carries the balance and what was required, and writes nothing', async () => {
    const s = await scene({ points: 20, pack: { points: 30, stock: 3 } });
    const res = await claim(s.volunteerToken, s.pack.id);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'insufficient_points', balance: 20, required: 30 });
    expect(await balances(s.volunteer.id)).toEqual({ balance: 20, held: 0 });
    expect((await app.request('GET', `/v1/packs/${s.pack.id}`, { token: f.adminToken })).body).toMatchObject({ stockLeft: 3, issued: 0 });
  });

  it('out_of_stock once the stock is gone, and the points stay put', async () => {
    const s = await scene({ pack: { stock: 1 } });
    expect((await claim(s.volunteerToken, s.pack.id)).status).toBe(201);
    const res = await claim(s.volunteerToken, s.pack.id);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('out_of_stock');
    expect(await balances(s.volunteer.id)).toEqual({ balance: 70, held: 30 });
  });

  it('limit_reached at the per-volunteer limit; a cancelled claim no longer counts', async () => {
    const s = await scene({ points: 300, pack: { perVolunteerLimit: 2 } });
    const first = await claim(s.volunteerToken, s.pack.id);
    expect((await claim(s.volunteerToken, s.pack.id)).status).toBe(201);
    const third = await claim(s.volunteerToken, s.pack.id);
    expect(third.status).toBe(409);
    expect(third.body.code).toBe('limit_reached');
    expect((await app.request('POST', `/v1/redemptions/${first.body.id}/cancel`, { token: s.volunteerToken })).status).toBe(200);
    expect((await claim(s.volunteerToken, s.pack.id)).status).toBe(201);
  });

  it('pack_unavailable for a paused pack, outside the window, below the star level, or an inactive merchant', async () => {
    const s = await scene({ points: 500 });
    await app.request('PATCH', `/v1/packs/${s.pack.id}`, { token: f.adminToken, body: { status: 'paused' } });
    const paused = await claim(s.volunteerToken, s.pack.id);
    expect(paused.status).toBe(409);
    expect(paused.body.code).toBe('pack_unavailable');
    const later = await f.pack(s.merchant.id, { validFrom: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await claim(s.volunteerToken, later.id)).body.code).toBe('pack_unavailable');
    const starred = await f.pack(s.merchant.id, { minStarLevel: 1 });
    const stars = await claim(s.volunteerToken, starred.id);
    expect(stars.body).toMatchObject({ code: 'pack_unavailable', requiredStarLevel: 1, starLevel: 0 });
    const open = await f.pack(s.merchant.id);
    await app.request('POST', `/v1/merchants/${s.merchant.id}/deactivate`, { token: f.adminToken });
    expect((await claim(s.volunteerToken, open.id)).body.code).toBe('pack_unavailable');
    expect(await balances(s.volunteer.id)).toEqual({ balance: 500, held: 0 });
  });

  it('not_found for an unknown pack; only volunteers claim; bad bodies are 400', async () => {
    const s = await scene();
    expect((await claim(s.volunteerToken, '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f')).status).toBe(404);
    expect((await claim(s.merchantToken, s.pack.id)).status).toBe(403);
    expect((await claim(f.adminToken, s.pack.id)).status).toBe(403);
    expect((await app.request('POST', '/v1/redemptions', { token: s.volunteerToken, body: { packId: 'x' } })).status).toBe(400);
    expect((await app.request('POST', '/v1/redemptions', { token: s.volunteerToken, body: { packId: s.pack.id, extra: 1 } })).status).toBe(400);
  });
});

describe('redeem refusals', () => {
  it('token_wrong_merchant for another shop, with nothing written', async () => {
    const s = await scene();
    const claimed = await claim(s.volunteerToken, s.pack.id);
    const other = await f.merchant();
    const res = await redeem(await app.token('merchant', other.id), claimed.body.token);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('token_wrong_merchant');
    expect(await ledgerKinds(app, claimed.body.id)).toEqual(['reserve']);
    expect((await redeem(s.merchantToken, claimed.body.token)).status).toBe(200);
    // Even after it is redeemed, another shop hears that it is not theirs, not the state of the claim.
    expect((await redeem(await app.token('merchant', other.id), claimed.body.token)).body.code).toBe('token_wrong_merchant');
  });

  it('only merchants redeem', async () => {
    const s = await scene();
    const claimed = await claim(s.volunteerToken, s.pack.id);
    expect((await redeem(s.volunteerToken, claimed.body.token)).status).toBe(403);
    expect((await redeem(f.adminToken, claimed.body.token)).status).toBe(403);
  });
});

describe('cancel', () => {
  it('gives the points and the stock back, once; a redeemed claim cannot be cancelled', async () => {
    const s = await scene({ pack: { stock: 2 } });
    const claimed = await claim(s.volunteerToken, s.pack.id);
    const cancelled = await app.request('POST', `/v1/redemptions/${claimed.body.id}/cancel`, { token: s.volunteerToken });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ id: claimed.body.id, status: 'cancelled' });
    expect(await balances(s.volunteer.id)).toEqual({ balance: 100, held: 0 });
    expect((await app.request('GET', `/v1/packs/${s.pack.id}`, { token: f.adminToken })).body).toMatchObject({ stockLeft: 2, issued: 0 });
    const again = await app.request('POST', `/v1/redemptions/${claimed.body.id}/cancel`, { token: s.volunteerToken });
    expect(again.status).toBe(200);
    expect(await ledgerKinds(app, claimed.body.id)).toEqual(['reserve', 'release']);
    const used = await redeem(s.merchantToken, claimed.body.token);
    expect(used.status).toBe(409);
    // RFC 9457's members are never overwritten: the claim's state has a member of its own.
    expect(used.body).toMatchObject({ code: 'token_already_used', status: 409, redemptionStatus: 'cancelled' });
    const qr = await app.request('GET', `/v1/redemptions/${claimed.body.id}/qr.svg`, { token: s.volunteerToken });
    expect(qr.status).toBe(409);
    expect(qr.body).toMatchObject({ code: 'token_already_used', status: 409, redemptionStatus: 'cancelled' });

    const second = await claim(s.volunteerToken, s.pack.id);
    await redeem(s.merchantToken, second.body.token);
    const late = await app.request('POST', `/v1/redemptions/${second.body.id}/cancel`, { token: f.adminToken });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'token_already_used', status: 409, redemptionStatus: 'redeemed' });
  });

  it('is for the owner and admins: another volunteer sees 404, a merchant 403', async () => {
    const s = await scene();
    const claimed = await claim(s.volunteerToken, s.pack.id);
    const other = await scene();
    expect((await app.request('POST', `/v1/redemptions/${claimed.body.id}/cancel`, { token: other.volunteerToken })).status).toBe(404);
    expect((await app.request('POST', `/v1/redemptions/${claimed.body.id}/cancel`, { token: s.merchantToken })).status).toBe(403);
    expect((await app.request('POST', `/v1/redemptions/${claimed.body.id}/cancel`, { token: f.adminToken })).status).toBe(200);
  });
});

describe('expiry', () => {
  let short: TestApp;
  beforeAll(async () => {
    // The same DATA_DIR, so both apps share the access and redemption keys.
    short = await startTestApp({ DATA_DIR: app.deps.config.DATA_DIR, REDEMPTION_TOKEN_TTL_SECONDS: '1', CLOCK_TOLERANCE_SECONDS: '0' });
  });
  afterAll(async () => {
    await short?.close();
  });

  async function expiredClaim(stock = 3) {
    const s = await scene({ pack: { stock } });
    const claimed = await short.request('POST', '/v1/redemptions', { token: s.volunteerToken, body: { packId: s.pack.id } });
    expect(claimed.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    return { ...s, claimed: claimed.body as { id: string; token: string } };
  }

  it('reads as expired before the sweeper runs, refuses redeem with token_expired, and the sweeper releases it', async () => {
    const s = await expiredClaim();
    const read = await app.request('GET', `/v1/redemptions/${s.claimed.id}`, { token: s.volunteerToken });
    expect(read.body.status).toBe('expired');
    expect(read.body.token).toBeUndefined();
    const res = await redeem(s.merchantToken, s.claimed.token);
    expect(res.status).toBe(410);
    expect(res.body.code).toBe('token_expired');
    // Other test files sweep the same database, so this sweep may find the claim already released;
    // either way it ends released exactly once.
    await sweepExpired(app.deps);
    expect(await balances(s.volunteer.id)).toEqual({ balance: 100, held: 0 });
    expect((await app.request('GET', `/v1/packs/${s.pack.id}`, { token: f.adminToken })).body).toMatchObject({ stockLeft: 3, issued: 0 });
    expect(await ledgerKinds(app, s.claimed.id)).toEqual(['reserve', 'release']);
    expect((await redeem(s.merchantToken, s.claimed.token)).body.code).toBe('token_expired');
  });

  it('a cancel of an expired claim releases it as expired', async () => {
    const s = await expiredClaim();
    const res = await app.request('POST', `/v1/redemptions/${s.claimed.id}/cancel`, { token: s.volunteerToken });
    expect(res.status).toBe(410);
    expect(res.body).toMatchObject({ code: 'token_expired', status: 410, redemptionStatus: 'expired' });
    expect(await balances(s.volunteer.id)).toEqual({ balance: 100, held: 0 });
    expect((await app.request('GET', `/v1/redemptions/${s.claimed.id}`, { token: f.adminToken })).body.status).toBe('expired');
  });

  it('several sweepers at once release each claim exactly once', async () => {
    const claims = await Promise.all([expiredClaim(), expiredClaim(), expiredClaim(), expiredClaim()]);
    // The count each sweeper reports is not asserted: other test files sweep the same database.
    await Promise.all([sweepExpired(app.deps), sweepExpired(short.deps), sweepExpired(app.deps), sweepExpired(short.deps)]);
    for (const c of claims) {
      expect(await ledgerKinds(app, c.claimed.id)).toEqual(['reserve', 'release']);
      expect(await balances(c.volunteer.id)).toEqual({ balance: 100, held: 0 });
    }
  });
});

describe('merchant side', () => {
  it('lists redemptions by date with keyset paging, summarises a period and records settlements', async () => {
    const s = await scene({ points: 500, pack: { points: 40 } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await claim(s.volunteerToken, s.pack.id);
      expect((await redeem(s.merchantToken, c.body.token)).status).toBe(200);
      ids.push(c.body.id);
    }
    const page1 = await app.request('GET', `/v1/merchants/${s.merchant.id}/redemptions?limit=2`, { token: s.merchantToken });
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    const page2 = await app.request('GET', `/v1/merchants/${s.merchant.id}/redemptions?limit=2&cursor=${page1.body.nextCursor}`, { token: f.adminToken });
    expect(page2.body.items.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await app.request('GET', `/v1/merchants/${s.merchant.id}/redemptions?from=${encodeURIComponent(future)}`, { token: s.merchantToken });
    expect(none.body.items).toEqual([]);
    const other = await f.merchant();
    expect((await app.request('GET', `/v1/merchants/${s.merchant.id}/redemptions`, { token: await app.token('merchant', other.id) })).status).toBe(404);
    expect((await app.request('GET', `/v1/merchants/${s.merchant.id}/redemptions`, { token: s.volunteerToken })).status).toBe(403);

    const settle = (points: number, reference: string, k = key()) =>
      app.request('POST', `/v1/merchants/${s.merchant.id}/settlements`, { token: f.adminToken, body: { points, reference }, headers: { 'idempotency-key': k } });
    const k = key();
    const paid = await settle(100, 'TRF-1', k);
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({ merchantId: s.merchant.id, points: 100, reference: 'TRF-1', owed: 20 });
    expect((await settle(100, 'TRF-1', k)).body).toEqual(paid.body);
    expect((await settle(5, 'TRF-1')).body.code).toBe('conflict');
    const over = await settle(21, 'TRF-2');
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: 'insufficient_points', balance: 20, required: 21 });
    expect((await app.request('POST', `/v1/merchants/${s.merchant.id}/settlements`, { token: s.merchantToken, body: { points: 1, reference: 'x' }, headers: { 'idempotency-key': key() } })).status).toBe(403);
    expect((await app.request('POST', `/v1/merchants/${s.merchant.id}/settlements`, { token: f.adminToken, body: { points: 1, reference: 'x' } })).status).toBe(400);

    const summary = await app.request('GET', `/v1/merchants/${s.merchant.id}/settlement?from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`, { token: s.merchantToken });
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ redeemed: { count: 3, points: 120 }, settlements: { count: 1, points: 100 }, owed: 20, settledTotal: 100 });
    expect(summary.body.settlements.items[0]).toMatchObject({ reference: 'TRF-1', points: 100 });
    const empty = await app.request('GET', `/v1/merchants/${s.merchant.id}/settlement?from=${encodeURIComponent(future)}`, { token: s.merchantToken });
    expect(empty.body).toMatchObject({ redeemed: { count: 0, points: 0 }, settlements: { count: 0, points: 0 }, owed: 20 });
    const bad = await app.request('GET', `/v1/merchants/${s.merchant.id}/settlement?from=${encodeURIComponent(future)}&to=${encodeURIComponent(new Date().toISOString())}`, { token: s.merchantToken });
    expect(bad.status).toBe(400);
    const totals = await app.request('GET', '/v1/ledger/totals', { token: f.adminToken });
    expect(totals.body.settled).toBeGreaterThanOrEqual(100);
  });
});

it('balances agree with the ledger after all of the above', async () => {
  const s = await scene();
  expect(await balanceOf(app, f.adminToken, s.volunteer.id)).toBe(100);
});
