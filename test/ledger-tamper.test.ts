import type postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { Factory } from './support/factories.js';
import { award, key } from './support/ledger.js';
import { createScratchDatabase } from './support/scratch.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;
let sql: postgres.Sql;

// These tests alter ledger rows behind the triggers' back, so they run on a database of their own.
useTestApp({ scratch: true }, (started) => {
  ({ app, f } = started);
  sql = started.scratch!.sql;
});

async function expectRefused(statement: string) {
  await expect(sql.unsafe(statement)).rejects.toThrow(/append-only|permanent|identity/);
}

async function seed() {
  const unit = await f.orgUnit();
  const v = await f.volunteer(unit.id);
  const a = await award(app, f.adminToken, v.id, 50);
  await award(app, f.adminToken, v.id, 7);
  await app.request('POST', '/v1/adjustments', { token: f.adminToken, body: { volunteerId: v.id, points: -5, reason: 'fix' }, headers: { 'idempotency-key': key() } });
  return { v, a };
}

async function verify() {
  const res = await app.request('GET', '/v1/ledger/verify', { token: f.adminToken });
  expect(res.status).toBe(200);
  return res.body;
}

/** Changes a row as a superuser would, with the append-only triggers switched off for one statement. */
async function tamper(table: string, trigger: string, statement: string) {
  await sql.begin(async (tx) => {
    await tx.unsafe(`alter table ${table} disable trigger ${trigger}`);
    await tx.unsafe(statement);
    await tx.unsafe(`alter table ${table} enable always trigger ${trigger}`);
  });
}

describe('append-only ledger', () => {
  it('refuses UPDATE, DELETE and TRUNCATE on ledger rows, even for the owner and under replica role', async () => {
    await seed();
    for (const table of ['ledger_transactions', 'ledger_postings']) {
      await expectRefused(`update ${table} set created_at = created_at`);
      await expectRefused(`delete from ${table}`);
      await expectRefused(`truncate ${table} cascade`);
    }
    await expectRefused('delete from accounts');
    await expectRefused('truncate accounts cascade');
    await expectRefused("update accounts set kind = 'issuance' where kind = 'volunteer'");
    const replica = await sql.reserve();
    try {
      await replica.unsafe('set session_replication_role = replica');
      await expect(replica.unsafe('delete from ledger_postings')).rejects.toThrow(/append-only/);
      await expect(replica.unsafe('update ledger_transactions set memo = memo')).rejects.toThrow(/append-only/);
      await expect(replica.unsafe('truncate ledger_postings cascade')).rejects.toThrow(/append-only/);
    } finally {
      await replica.unsafe('reset session_replication_role');
      replica.release();
    }
    expect((await verify()).ok).toBe(true);
  });

  it('refuses an unbalanced transaction and postings added to a committed one', async () => {
    const { a } = await seed();
    await expect(
      sql.begin(async (tx) => {
        await tx.unsafe(`insert into ledger_transactions (id, kind, actor_role, actor_id) values ('01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e50', 'award', 'admin', 'x')`);
      }),
    ).rejects.toThrow(/unbalanced/);
    const [posting] = await sql<{ account_id: string }[]>`select account_id from ledger_postings where transaction_id = ${a.transactionId} limit 1`;
    await expect(
      sql.unsafe(
        `insert into ledger_postings (transaction_id, account_id, seq, amount, balance_after, prev_hash, hash) values ($1, $2, 999, 1, 1, '\\x00', '\\x00')`,
        [a.transactionId, posting!.account_id],
      ),
    ).rejects.toThrow(/same database transaction/);
  });
});

describe('tamper evidence', () => {
  it('names exactly the posting whose amount was altered behind the triggers', async () => {
    const { v } = await seed();
    const [target] = await sql<{ id: string }[]>`select id from ledger_postings where account_id = ${v.id} order by seq limit 1 offset 1`;
    await tamper('ledger_postings', 'ledger_postings_append_only', `update ledger_postings set amount = amount + 1000, balance_after = balance_after + 1000 where id = ${target!.id}`);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.firstMismatch).toMatchObject({ postingId: Number(target!.id), accountId: v.id, problem: 'hash_mismatch' });
  });

  it('names the transaction whose memo was rewritten', async () => {
    const fresh = await createScratchDatabase();
    const other = await startTestApp({ DATABASE_URL: fresh.url });
    try {
      const g = await Factory.create(other);
      const unit = await g.orgUnit();
      const v = await g.volunteer(unit.id);
      await award(other, g.adminToken, v.id, 10);
      const a = await award(other, g.adminToken, v.id, 20);
      await award(other, g.adminToken, v.id, 30);
      await fresh.sql.begin(async (tx) => {
        await tx.unsafe('alter table ledger_transactions disable trigger ledger_transactions_append_only');
        await tx.unsafe(`update ledger_transactions set memo = 'rewritten' where id = '${a.transactionId}'`);
        await tx.unsafe('alter table ledger_transactions enable always trigger ledger_transactions_append_only');
      });
      const res = await other.request('GET', '/v1/ledger/verify', { token: g.adminToken });
      expect(res.body.ok).toBe(false);
      expect(res.body.firstMismatch).toMatchObject({ transactionId: a.transactionId, problem: 'hash_mismatch' });
    } finally {
      await other.close();
      await fresh.drop();
    }
  });

  it('notices a cached balance edited directly and a recorded digest that no longer matches', async () => {
    const fresh = await createScratchDatabase();
    const other = await startTestApp({ DATABASE_URL: fresh.url });
    try {
      const g = await Factory.create(other);
      const unit = await g.orgUnit();
      const v = await g.volunteer(unit.id);
      await award(other, g.adminToken, v.id, 10);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const asOf = new Date().toISOString();
      const recorded = await other.request('GET', `/v1/ledger/digest?asOf=${asOf}`, { token: g.adminToken });
      await fresh.sql`update accounts set balance = balance + 500 where id = ${v.id}`;
      const res = await other.request('GET', '/v1/ledger/verify', { token: g.adminToken });
      expect(res.body.firstMismatch).toMatchObject({ accountId: v.id, problem: 'cached_balance_mismatch' });
      // Rewriting history so the cache agrees again still changes the digest an auditor recorded.
      await fresh.sql.begin(async (tx) => {
        await tx.unsafe('alter table ledger_postings disable trigger ledger_postings_append_only');
        await tx.unsafe(`update ledger_postings set hash = sha256(hash) where account_id = '${v.id}'`);
        await tx.unsafe('alter table ledger_postings enable always trigger ledger_postings_append_only');
      });
      const later = await other.request('GET', `/v1/ledger/digest?asOf=${asOf}`, { token: g.adminToken });
      expect(later.body.digest).not.toBe(recorded.body.digest);
    } finally {
      await other.close();
      await fresh.drop();
    }
  });
});
