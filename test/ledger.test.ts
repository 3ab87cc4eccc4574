import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { purgeIdempotencyKeys } from '../src/writes/idempotency.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { award, balanceOf, key } from './support/ledger.js';

let app: TestApp;
let f: Factory;

useTestApp({ ledgerSound: true }, (started) => ({ app, f } = started));

async function volunteer() {
  const unit = await f.orgUnit();
  return f.volunteer(unit.id);
}

const post = (path: string, body: unknown, token: string, idempotencyKey: string | null = key()) =>
  app.request('POST', path, { token, body, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });

describe('awards', () => {
  it('credit the volunteer and show on balance and statement', async () => {
    const v = await volunteer();
    const res = await post('/v1/awards', { volunteerId: v.id, points: 120, reason: '社区清洁' }, f.adminToken);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ volunteerId: v.id, points: 120, balance: 120 });
    expect(res.body.transactionId).toMatch(/^[0-9a-f-]{36}$/);
    const balance = await app.request('GET', `/v1/volunteers/${v.id}/balance`, { token: f.adminToken });
    expect(balance.body).toEqual({ volunteerId: v.id, balance: 120, held: 0, lifetimeEarned: 120, serviceMinutes: 0, starLevel: 0 });
    const statement = await app.request('GET', `/v1/volunteers/${v.id}/ledger`, { token: await app.token('volunteer', v.id) });
    expect(statement.status).toBe(200);
    expect(statement.body.items).toEqual([
      expect.objectContaining({ transactionId: res.body.transactionId, kind: 'award', amount: 120, balanceAfter: 120, memo: '社区清洁' }),
    ]);
  });

  it('replay the original response for the same key and body, and refuse another body', async () => {
    const v = await volunteer();
    const k = key();
    const first = await post('/v1/awards', { volunteerId: v.id, points: 10, reason: 'r' }, f.adminToken, k);
    const again = await post('/v1/awards', { volunteerId: v.id, points: 10, reason: 'r' }, f.adminToken, k);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const different = await post('/v1/awards', { volunteerId: v.id, points: 11, reason: 'r' }, f.adminToken, k);
    expect(different.status).toBe(422);
    expect(different.body.code).toBe('idempotency_key_reused');
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(10);
  });

  it('scope keys per caller', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const organiser = await f.organiser(unit.id);
    const k = key();
    expect((await post('/v1/awards', { volunteerId: v.id, points: 5, reason: 'r' }, f.adminToken, k)).status).toBe(201);
    const other = await post('/v1/awards', { volunteerId: v.id, points: 7, reason: 'r' }, await app.token('organiser', organiser.id), k);
    expect(other.status).toBe(201);
    expect(other.body.balance).toBe(12);
  });

  it('require an Idempotency-Key', async () => {
    const v = await volunteer();
    const res = await post('/v1/awards', { volunteerId: v.id, points: 5, reason: 'r' }, f.adminToken, null);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('header.Idempotency-Key');
  });

  it.each([
    ['zero', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '10'],
    ['2^53', 2 ** 53],
    ['over the per-transaction maximum', 1_000_001],
    ['null', null],
  ])('refuse %s points naming the field, writing nothing', async (_label, points) => {
    const v = await volunteer();
    const res = await post('/v1/awards', { volunteerId: v.id, points, reason: 'r' }, f.adminToken);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: any) => e.path)).toContain('points');
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(0);
  });

  it('refuse 1e309 and a missing amount', async () => {
    const v = await volunteer();
    const huge = await app.request('POST', '/v1/awards', {
      token: f.adminToken,
      raw: `{"volunteerId":"${v.id}","points":1e309,"reason":"r"}`,
      headers: { 'idempotency-key': key() },
    });
    expect(huge.status).toBe(400);
    expect(huge.body.errors.map((e: any) => e.path)).toContain('points');
    const missing = await post('/v1/awards', { volunteerId: v.id, reason: 'r' }, f.adminToken);
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: any) => e.path)).toContain('points');
    const statement = await app.request('GET', `/v1/volunteers/${v.id}/ledger`, { token: f.adminToken });
    expect(statement.body.items).toEqual([]);
  });

  it('are limited to organisers in scope and admins', async () => {
    const { streetA, streetB } = await f.tree();
    const organiser = await f.organiser(streetA.id);
    const token = await app.token('organiser', organiser.id);
    const mine = await f.volunteer(streetA.id);
    const theirs = await f.volunteer(streetB.id);
    expect((await post('/v1/awards', { volunteerId: mine.id, points: 3, reason: 'r' }, token)).status).toBe(201);
    const outside = await post('/v1/awards', { volunteerId: theirs.id, points: 3, reason: 'r' }, token);
    expect(outside.status).toBe(404);
    expect(outside.body.code).toBe('not_found');
    const self = await post('/v1/awards', { volunteerId: mine.id, points: 3, reason: 'r' }, await app.token('volunteer', mine.id));
    expect(self.status).toBe(403);
    expect(await balanceOf(app, f.adminToken, theirs.id)).toBe(0);
  });

  it('refuse an unknown or inactive volunteer', async () => {
    const missing = await post('/v1/awards', { volunteerId: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', points: 3, reason: 'r' }, f.adminToken);
    expect(missing.status).toBe(404);
    const v = await volunteer();
    await app.request('POST', `/v1/volunteers/${v.id}/deactivate`, { token: f.adminToken });
    const inactive = await post('/v1/awards', { volunteerId: v.id, points: 3, reason: 'r' }, f.adminToken);
    expect(inactive.status).toBe(409);
    expect(inactive.body.code).toBe('inactive');
  });
});

describe('adjustments', () => {
  it('credit and debit, and refuse to take a volunteer below zero', async () => {
    const v = await volunteer();
    const credit = await post('/v1/adjustments', { volunteerId: v.id, points: 50, reason: 'missed award' }, f.adminToken);
    expect(credit.status).toBe(201);
    expect(credit.body).toMatchObject({ points: 50, balance: 50 });
    const debit = await post('/v1/adjustments', { volunteerId: v.id, points: -20, reason: 'duplicate' }, f.adminToken);
    expect(debit.body).toMatchObject({ points: -20, balance: 30 });
    const over = await post('/v1/adjustments', { volunteerId: v.id, points: -31, reason: 'too much' }, f.adminToken);
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: 'insufficient_points', balance: 30, required: 31 });
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(30);
    const balance = await app.request('GET', `/v1/volunteers/${v.id}/balance`, { token: f.adminToken });
    expect(balance.body.lifetimeEarned).toBe(0);
  });

  it('are for admins only and never zero', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const organiser = await f.organiser(unit.id);
    expect((await post('/v1/adjustments', { volunteerId: v.id, points: 5, reason: 'r' }, await app.token('organiser', organiser.id))).status).toBe(403);
    const zero = await post('/v1/adjustments', { volunteerId: v.id, points: 0, reason: 'r' }, f.adminToken);
    expect(zero.status).toBe(400);
    expect(zero.body.errors[0].path).toBe('points');
  });
});

describe('reversals', () => {
  it('undo an award once, linked to the original', async () => {
    const v = await volunteer();
    const a = await award(app, f.adminToken, v.id, 40);
    const res = await post(`/v1/transactions/${a.transactionId}/reverse`, { reason: 'wrong person' }, f.adminToken);
    expect(res.status).toBe(201);
    expect(res.body.reversesTransactionId).toBe(a.transactionId);
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(0);
    const balance = await app.request('GET', `/v1/volunteers/${v.id}/balance`, { token: f.adminToken });
    expect(balance.body.lifetimeEarned).toBe(0);
    const again = await post(`/v1/transactions/${a.transactionId}/reverse`, { reason: 'again' }, f.adminToken);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_reversed');
    const tx = await app.request('GET', `/v1/transactions/${a.transactionId}`, { token: f.adminToken });
    expect(tx.body.reversedByTransactionId).toBe(res.body.transactionId);
    expect(tx.body.postings.map((p: any) => p.amount).sort()).toEqual([-40, 40]);
    const statement = await app.request('GET', `/v1/volunteers/${v.id}/ledger`, { token: f.adminToken });
    expect(statement.body.items.map((i: any) => [i.kind, i.amount, i.balanceAfter])).toEqual([
      ['reversal', -40, 0],
      ['award', 40, 40],
    ]);
  });

  it('refuse when the volunteer already spent the points', async () => {
    const v = await volunteer();
    const a = await award(app, f.adminToken, v.id, 40);
    await post('/v1/adjustments', { volunteerId: v.id, points: -30, reason: 'spent' }, f.adminToken);
    const res = await post(`/v1/transactions/${a.transactionId}/reverse`, { reason: 'r' }, f.adminToken);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'insufficient_points', balance: 10, required: 40 });
  });

  it('refuse reversing a reversal, a missing transaction, and non-admins', async () => {
    const v = await volunteer();
    const a = await award(app, f.adminToken, v.id, 10);
    const r = await post(`/v1/transactions/${a.transactionId}/reverse`, { reason: 'r' }, f.adminToken);
    const rr = await post(`/v1/transactions/${r.body.transactionId}/reverse`, { reason: 'r' }, f.adminToken);
    expect(rr.status).toBe(409);
    expect(rr.body.code).toBe('conflict');
    const missing = await post('/v1/transactions/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f/reverse', { reason: 'r' }, f.adminToken);
    expect(missing.status).toBe(404);
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    expect((await post(`/v1/transactions/${a.transactionId}/reverse`, { reason: 'r' }, await app.token('organiser', organiser.id))).status).toBe(403);
  });

  it('refuse to reverse the award of a service record, pointing to a correction instead', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const type = await f.activityType({ kind: 'fixed', points: 15 });
    const activity = await f.activity(unit.id, type.code);
    const recorded = await app.request('POST', `/v1/activities/${activity.id}/records`, {
      token: f.adminToken,
      body: { records: [{ volunteerId: v.id, minutes: 30 }] },
      headers: { 'idempotency-key': key() },
    });
    expect(recorded.status).toBe(201);
    const { id: recordId, transactionId } = recorded.body.records[0];
    const res = await post(`/v1/transactions/${transactionId}/reverse`, { reason: 'r' }, f.adminToken);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'conflict', recordId });
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(15);
  });

  it('replay under the same key', async () => {
    const v = await volunteer();
    const a = await award(app, f.adminToken, v.id, 10);
    const k = key();
    const first = await post(`/v1/transactions/${a.transactionId}/reverse`, { reason: 'r' }, f.adminToken, k);
    const second = await post(`/v1/transactions/${a.transactionId}/reverse`, { reason: 'r' }, f.adminToken, k);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
  });
});

describe('balances and statements', () => {
  it('many balance reads at once (answered from shared queries) each get their own volunteer', async () => {
    const unit = await f.orgUnit();
    const vs = await Promise.all(Array.from({ length: 15 }, () => f.volunteer(unit.id)));
    await Promise.all(vs.map((v, i) => award(app, f.adminToken, v.id, i + 1)));
    const missing = '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f';
    const reads = await Promise.all([
      ...vs.map(async (v) => (await app.request('GET', `/v1/volunteers/${v.id}/balance`, { token: f.adminToken })).body.balance),
      app.request('GET', `/v1/volunteers/${vs[3]!.id.toUpperCase()}/balance`, { token: f.adminToken }).then((r) => r.body.balance),
      app.request('GET', `/v1/volunteers/${missing}/balance`, { token: f.adminToken }).then((r) => r.status),
      ...vs.slice(0, 3).map(async (v) => (await app.request('GET', `/v1/volunteers/${v.id}/balance`, { token: await app.token('volunteer', v.id) })).body.balance),
    ]);
    expect(reads).toEqual([...vs.map((_, i) => i + 1), 4, 404, 1, 2, 3]);
  });

  it('are visible to the volunteer, organisers in scope and admins only', async () => {
    const { streetA, streetB } = await f.tree();
    const v = await f.volunteer(streetA.id);
    const other = await f.volunteer(streetA.id);
    const inScope = await f.organiser(streetA.id);
    const outOfScope = await f.organiser(streetB.id);
    const shop = await f.merchant();
    const path = `/v1/volunteers/${v.id}/balance`;
    expect((await app.request('GET', path, { token: await app.token('volunteer', v.id) })).status).toBe(200);
    expect((await app.request('GET', path, { token: await app.token('organiser', inScope.id) })).status).toBe(200);
    expect((await app.request('GET', path, { token: await app.token('volunteer', other.id) })).status).toBe(404);
    expect((await app.request('GET', path, { token: await app.token('organiser', outOfScope.id) })).status).toBe(404);
    expect((await app.request('GET', path, { token: await app.token('merchant', shop.id) })).status).toBe(403);
    expect((await app.request('GET', path)).status).toBe(401);
    expect((await app.request('GET', `/v1/volunteers/${other.id}/ledger`, { token: await app.token('volunteer', v.id) })).status).toBe(404);
  });

  it('page newest first with a cursor', async () => {
    const v = await volunteer();
    for (let i = 1; i <= 5; i++) await award(app, f.adminToken, v.id, i);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await app.request('GET', `/v1/volunteers/${v.id}/ledger?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: f.adminToken });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: any) => i.amount));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([5, 4, 3, 2, 1]);
    const bad = await app.request('GET', `/v1/volunteers/${v.id}/ledger?cursor=bm9wZQ`, { token: f.adminToken });
    expect(bad.status).toBe(400);
  });
});

describe('programme views', () => {
  it('totals reflect awards and always sum to zero', async () => {
    const before = await app.request('GET', '/v1/ledger/totals', { token: f.adminToken });
    const v = await volunteer();
    await award(app, f.adminToken, v.id, 77);
    const after = await app.request('GET', '/v1/ledger/totals', { token: f.adminToken });
    expect(after.body.sumOfBalances).toBe(0);
    expect(after.body.issued - before.body.issued).toBeGreaterThanOrEqual(77);
    expect(after.body.outstanding).toBe(after.body.spendable + after.body.held);
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    expect((await app.request('GET', '/v1/ledger/totals', { token: await app.token('organiser', organiser.id) })).status).toBe(403);
    expect((await app.request('GET', '/v1/ledger/verify', { token: await app.token('organiser', organiser.id) })).status).toBe(403);
  });

  it('verify passes and a past digest stays the same as the ledger grows', async () => {
    const v = await volunteer();
    await award(app, f.adminToken, v.id, 5);
    const verify = await app.request('GET', '/v1/ledger/verify', { token: f.adminToken });
    expect(verify.body.ok).toBe(true);
    expect(verify.body.entriesChecked).toBeGreaterThan(0);
    const asOf = new Date(Date.now() - 1000).toISOString();
    const first = await app.request('GET', `/v1/ledger/digest?asOf=${asOf}`, { token: f.adminToken });
    expect(first.status).toBe(200);
    await award(app, f.adminToken, v.id, 6);
    const later = await app.request('GET', `/v1/ledger/digest?asOf=${asOf}`, { token: f.adminToken });
    expect(later.body.digest).toBe(first.body.digest);
    const now = await app.request('GET', `/v1/ledger/digest?asOf=${new Date().toISOString()}`, { token: f.adminToken });
    expect(now.body.digest).not.toBe(first.body.digest);
  });
});

describe('idempotency retention', () => {
  it('keeps responses for at least 24 hours and purges them after the retention period', async () => {
    const v = await volunteer();
    const recent = key();
    const old = key();
    await post('/v1/awards', { volunteerId: v.id, points: 1, reason: 'r' }, f.adminToken, recent);
    await post('/v1/awards', { volunteerId: v.id, points: 2, reason: 'r' }, f.adminToken, old);
    await sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = ${recent}`.execute(app.deps.db);
    await sql`update idempotency_keys set created_at = now() - interval '49 hours' where key = ${old}`.execute(app.deps.db);
    expect(await purgeIdempotencyKeys(app.deps.db)).toBeGreaterThanOrEqual(1);
    const keys = await sql<{ key: string }>`select key from idempotency_keys where key in (${recent}, ${old})`.execute(app.deps.db);
    expect(keys.rows.map((r) => r.key)).toEqual([recent]);
    const replay = await post('/v1/awards', { volunteerId: v.id, points: 1, reason: 'r' }, f.adminToken, recent);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });
});
