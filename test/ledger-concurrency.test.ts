import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { award, balanceOf, key } from './support/ledger.js';
import { createScratchDatabase } from './support/scratch.js';

let app: TestApp;
let f: Factory;

useTestApp({ env: { DB_POOL_MAX: '20' }, ledgerSound: true }, (started) => ({ app, f } = started));

interface DebitOutcome {
  successes: number;
  refusals: number;
  errors: number;
  finalBalance: number;
  /** Every balance the system reported along the way (balances after each successful debit). */
  observedBalances: number[];
}

/**
 * The race harness: fires `count` concurrent debits of `amount` at once against an account holding
 * `start` points, then reads the final balance. It knows nothing of how a debit is implemented.
 */
interface DebitResult {
  ok: boolean;
  balance?: number;
  refused?: boolean;
}

async function raceDebits(debit: () => Promise<DebitResult>, count: number, readBalance: () => Promise<number>): Promise<DebitOutcome> {
  const results = await Promise.all(Array.from({ length: count }, (): Promise<DebitResult> => debit().catch(() => ({ ok: false, refused: false }))));
  return {
    successes: results.filter((r) => r.ok).length,
    refusals: results.filter((r) => !r.ok && r.refused).length,
    errors: results.filter((r) => !r.ok && !r.refused).length,
    finalBalance: await readBalance(),
    observedBalances: results.flatMap((r) => (r.ok && r.balance !== undefined ? [r.balance] : [])),
  };
}

/** What must hold for 50 debits of 30 against 100: exactly 3 succeed, the rest are refused, nothing lost or minted. */
function assertSoundDebits(outcome: DebitOutcome, start: number, amount: number, count: number) {
  const expectedSuccesses = Math.floor(start / amount);
  expect(outcome.errors, 'no request failed unexpectedly').toBe(0);
  expect(outcome.successes, 'successful debits').toBe(expectedSuccesses);
  expect(outcome.refusals).toBe(count - expectedSuccesses);
  expect(outcome.finalBalance).toBe(start - expectedSuccesses * amount);
  for (const b of outcome.observedBalances) expect(b).toBeGreaterThanOrEqual(0);
  expect(new Set(outcome.observedBalances).size, 'each success saw a distinct balance').toBe(outcome.observedBalances.length);
}

describe('ledger under concurrency', () => {
  it('50 concurrent 30-point debits against 100 points: exactly 3 succeed, never below zero', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    await award(app, f.adminToken, v.id, 100);
    const outcome = await raceDebits(
      async () => {
        const res = await app.request('POST', '/v1/adjustments', { token: f.adminToken, body: { volunteerId: v.id, points: -30, reason: 'race' }, headers: { 'idempotency-key': key() } });
        if (res.status === 201) return { ok: true, balance: res.body.balance };
        if (res.status === 409 && res.body.code === 'insufficient_points') return { ok: false, refused: true };
        return { ok: false, refused: false };
      },
      50,
      () => balanceOf(app, f.adminToken, v.id),
    );
    assertSoundDebits(outcome, 100, 30, 50);
    const statement = await app.request('GET', `/v1/volunteers/${v.id}/ledger?limit=200`, { token: f.adminToken });
    for (const line of statement.body.items) expect(line.balanceAfter).toBeGreaterThanOrEqual(0);
  });

  it('the same harness catches a naive read-then-write debit', async () => {
    // A deliberately broken implementation on a scratch table: read the balance, then write the
    // computed result, with no lock. If the harness passed this, it could not be trusted.
    const scratch = await createScratchDatabase();
    const pool = postgres(scratch.url, { max: 20, onnotice: () => {} });
    try {
      await pool`create table naive_balance (id int primary key, balance bigint not null)`;
      await pool`insert into naive_balance values (1, 100)`;
      const naiveDebit = async () => {
        const [row] = await pool<{ balance: string }[]>`select balance from naive_balance where id = 1`;
        const balance = Number(row!.balance);
        if (balance < 30) return { ok: false, refused: true };
        await new Promise((resolve) => setTimeout(resolve, 5));
        await pool`update naive_balance set balance = ${balance - 30} where id = 1`;
        return { ok: true, balance: balance - 30 };
      };
      const outcome = await raceDebits(naiveDebit, 50, async () => Number((await pool<{ balance: string }[]>`select balance from naive_balance where id = 1`)[0]!.balance));
      expect(() => assertSoundDebits(outcome, 100, 30, 50)).toThrow();
      expect(outcome.successes).toBeGreaterThan(3);
    } finally {
      await pool.end();
      await scratch.drop();
    }
  });

  it('100 concurrent identical requests under one Idempotency-Key make one transaction', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const k = key();
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        app.request('POST', '/v1/awards', { token: f.adminToken, body: { volunteerId: v.id, points: 25, reason: 'once' }, headers: { 'idempotency-key': k } }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    for (const r of responses) {
      if (r.status === 409) expect(r.body.code).toBe('idempotency_in_progress');
      else expect(r.status).toBe(201);
    }
    const created = responses.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.transactionId)).size).toBe(1);
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(25);
    const statement = await app.request('GET', `/v1/volunteers/${v.id}/ledger`, { token: f.adminToken });
    expect(statement.body.items).toHaveLength(1);
  });

  it('50 concurrent reversals of one transaction: exactly one', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const a = await award(app, f.adminToken, v.id, 60);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        app.request('POST', `/v1/transactions/${a.transactionId}/reverse`, { token: f.adminToken, body: { reason: 'race' }, headers: { 'idempotency-key': key() } }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of responses.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('already_reversed');
    }
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(0);
  });

  it('awards to many volunteers in parallel all land, and the books balance', async () => {
    const unit = await f.orgUnit();
    const volunteers = await Promise.all(Array.from({ length: 20 }, () => f.volunteer(unit.id)));
    const before = await app.request('GET', '/v1/ledger/totals', { token: f.adminToken });
    const responses = await Promise.all(
      volunteers.flatMap((v) =>
        Array.from({ length: 10 }, (_, i) =>
          app.request('POST', '/v1/awards', { token: f.adminToken, body: { volunteerId: v.id, points: i + 1, reason: 'parallel' }, headers: { 'idempotency-key': key() } }),
        ),
      ),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    for (const v of volunteers) expect(await balanceOf(app, f.adminToken, v.id)).toBe(55);
    const after = await app.request('GET', '/v1/ledger/totals', { token: f.adminToken });
    expect(after.body.sumOfBalances).toBe(0);
    expect(after.body.issued - before.body.issued).toBeGreaterThanOrEqual(20 * 55);
  });
});
