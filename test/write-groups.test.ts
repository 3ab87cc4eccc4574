import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { withRetry } from '../src/writes/retry.js';
import { anyIssuanceAccount } from '../src/ledger/accounts.js';
import { createWriteGroups, GroupItemError } from '../src/writes/groups.js';
import type { LedgerRequest } from '../src/ledger/apply.js';
import { DomainError } from '../src/errors.js';
import { mapDatabaseError } from '../src/db/errors.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { award, balanceOf, credit, key } from './support/ledger.js';

let app: TestApp;
let f: Factory;

// One group at a time, so concurrent writes are bound to queue and commit together.
useTestApp({ env: { DB_POOL_MAX: '10', WRITE_GROUPS_MAX: '1' }, ledgerSound: true }, (started) => ({ app, f } = started));

/** Group sizes as Prometheus saw them: [count of groups, sum of their sizes]. */
async function groupStats(): Promise<[number, number]> {
  const metrics = await app.request('GET', '/metrics');
  const count = Number(/^jifen_write_group_size_count (\d+)/m.exec(metrics.body)?.[1] ?? 0);
  const sum = Number(/^jifen_write_group_size_sum (\d+)/m.exec(metrics.body)?.[1] ?? 0);
  return [count, sum];
}

describe('group commit of single-statement writes', () => {
  it('concurrent awards and debits over HTTP commit in groups, each answered on its own', async () => {
    const unit = await f.orgUnit();
    const debited = await f.volunteer(unit.id);
    const others = await Promise.all(Array.from({ length: 10 }, () => f.volunteer(unit.id)));
    await award(app, f.adminToken, debited.id, 100);
    const [groupsBefore, writesBefore] = await groupStats();

    const debits = Array.from({ length: 30 }, () =>
      app.request('POST', '/v1/adjustments', { token: f.adminToken, body: { volunteerId: debited.id, points: -30, reason: 'race' }, headers: { 'idempotency-key': key() } }),
    );
    const awards = others.flatMap((v) =>
      Array.from({ length: 3 }, () => app.request('POST', '/v1/awards', { token: f.adminToken, body: { volunteerId: v.id, points: 7, reason: 'group' }, headers: { 'idempotency-key': key() } })),
    );
    const [debitResults, awardResults] = await Promise.all([Promise.all(debits), Promise.all(awards)]);

    expect(debitResults.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = debitResults.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(27);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('insufficient_points');
      expect(typeof r.body.balance).toBe('number');
      expect(r.body.required).toBe(30);
    }
    expect(awardResults.every((r) => r.status === 201)).toBe(true);
    expect(await balanceOf(app, f.adminToken, debited.id)).toBe(10);
    for (const v of others) expect(await balanceOf(app, f.adminToken, v.id)).toBe(21);

    // 60 writes went through fewer groups than writes: some were committed together.
    const [groupsAfter, writesAfter] = await groupStats();
    expect(writesAfter - writesBefore).toBe(60);
    expect(groupsAfter - groupsBefore).toBeLessThan(60);
  });

  it('a refused item changes nothing, and its neighbours in the group still commit', async () => {
    const unit = await f.orgUnit();
    const [a, b] = await Promise.all([f.volunteer(unit.id), f.volunteer(unit.id)]);
    const sizes: number[] = [];
    const writes = createWriteGroups(app.deps.db, { groupsMax: 1, groupSizeMax: 32, onGroup: (n) => sizes.push(n) });
    const refusedId = randomUUID();
    // The first write goes alone; the next three queue behind it and go as one group.
    const results = await Promise.allSettled([
      writes.ledger(credit(a.id, 5)),
      writes.ledger(credit(a.id, 10)),
      writes.ledger(credit(b.id, -50, refusedId)),
      writes.ledger(credit(b.id, 20)),
    ]);
    expect(sizes).toEqual([1, 3]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const refusal = (results[2] as PromiseRejectedResult).reason;
    expect(refusal).toBeInstanceOf(GroupItemError);
    const mapped = mapDatabaseError(refusal);
    expect(mapped).toBeInstanceOf(DomainError);
    expect((mapped as DomainError).code).toBe('insufficient_points');
    expect(await balanceOf(app, f.adminToken, a.id)).toBe(15);
    expect(await balanceOf(app, f.adminToken, b.id)).toBe(20);
    const missing = await app.request('GET', `/v1/transactions/${refusedId}`, { token: f.adminToken });
    expect(missing.status).toBe(404);
  });

  it('one malformed item fails alone: the group is run again item by item', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const sizes: number[] = [];
    const writes = createWriteGroups(app.deps.db, { groupsMax: 1, groupSizeMax: 32, onGroup: (n) => sizes.push(n) });
    const bad: LedgerRequest = { ...credit(v.id, 3), postings: [{ account: anyIssuanceAccount, amount: -3 }, { account: 'not-a-uuid', amount: 3 }] };
    const results = await Promise.allSettled([writes.ledger(credit(v.id, 1)), writes.ledger(credit(v.id, 2)), writes.ledger(bad), writes.ledger(credit(v.id, 4))]);
    expect(sizes).toEqual([1, 3]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(7);
  });

  it('the same idempotency key twice in one group: one transaction, the other a replay', async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    const writes = createWriteGroups(app.deps.db, { groupsMax: 1, groupSizeMax: 32 });
    const idempotency = { caller: 'admin:test-admin', key: key(), hash: 'same-request' };
    const [, first, second] = await Promise.all([
      writes.ledger(credit(v.id, 1)),
      writes.ledger({ ...credit(v.id, 9), idempotency }),
      writes.ledger({ ...credit(v.id, 9), idempotency }),
    ]);
    expect(first.replayed).toBe(false);
    expect(second.replayed).toBe(true);
    expect(second.result.transactionId).toBe(first.result.transactionId);
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(10);
  });

  it('a group runs in one subtransaction unless the last group of its kind had a refusal', async () => {
    // Whether an account row's newest version carries a MultiXact: what an update made in an item's
    // own subtransaction leaves on a row the group locked up front (the cost 0012 avoids).
    await sql`create extension if not exists pageinspect`.execute(app.deps.db);
    const multi = async (accountId: string) => {
      const { rows } = await sql<{ multi: boolean }>`
        select (h.t_infomask & 4096) <> 0 as multi
          from accounts a, heap_page_items(get_raw_page('accounts', (a.ctid::text::point)[0]::int)) h
         where a.id = ${accountId} and h.lp = (a.ctid::text::point)[1]::int`.execute(app.deps.db);
      return rows[0]!.multi;
    };
    const unit = await f.orgUnit();
    const [v, other, poor] = await Promise.all([f.volunteer(unit.id), f.volunteer(unit.id), f.volunteer(unit.id)]);
    const writes = createWriteGroups(app.deps.db, { groupsMax: 1, groupSizeMax: 32 });
    // The first write of each round goes alone; the rest queue behind it and go as one group.
    const round = (refused: boolean) =>
      Promise.allSettled([
        writes.ledger(credit(other.id, 1)),
        writes.ledger(credit(v.id, 1)),
        writes.ledger(credit(v.id, 1)),
        writes.ledger(credit(v.id, 1)),
        ...(refused ? [writes.ledger(credit(poor.id, -50))] : []),
      ]);

    // A refusal: the whole-group attempt is undone and the group runs item by item, as 0011 did.
    expect((await round(true)).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(await multi(v.id)).toBe(true);
    // The next group of that kind goes item by item at once...
    await round(false);
    expect(await multi(v.id)).toBe(true);
    // ...and after one without a refusal, groups run whole again: no MultiXact.
    await round(false);
    expect(await multi(v.id)).toBe(false);
    expect(await balanceOf(app, f.adminToken, v.id)).toBe(9);
    expect(await balanceOf(app, f.adminToken, poor.id)).toBe(0);
  });

  it('claims of a pack wait while a group claiming it runs, then go as one group; other writes do not wait', async () => {
    const unit = await f.orgUnit();
    const shop = await f.merchant();
    const pack = await f.pack(shop.id, { points: 1, stock: 100 });
    const vs = await Promise.all(Array.from({ length: 11 }, () => f.volunteer(unit.id)));
    for (const v of vs) await award(app, f.adminToken, v.id, 5);
    const groups: string[] = [];
    const writes = createWriteGroups(app.deps.db, { groupsMax: 4, groupSizeMax: 32, onGroup: (n) => groups.push(String(n)) });
    const claim = (volunteerId: string) => {
      const id = randomUUID();
      const expiresAt = new Date(Date.now() + 600_000).toISOString();
      return writes.claim({
        idempotency: null,
        redemption: { id, packId: pack.id, merchantId: shop.id, volunteerId, points: 1, issuedAt: new Date().toISOString(), expiresAt, token: `test.${id}`, kid: 'test' },
        starMinutes: [],
        reserveTransactionId: randomUUID(),
        actorRole: 'volunteer',
        actorId: volunteerId,
        body: { id },
      });
    };
    // The first claim goes at once and holds the pack; with three places still free, the other ten
    // wait for it rather than queue on the pack's row inside the database, and an award goes by.
    const [claims, awarded] = await Promise.all([Promise.all(vs.map((v) => claim(v.id))), writes.ledger(credit(vs[0]!.id, 1))]);
    expect(groups).toEqual(['1', '1', '10']);
    expect(claims.every((c) => c.replayed === false)).toBe(true);
    expect(awarded.replayed).toBe(false);
    const after = await app.request('GET', `/v1/packs/${pack.id}`, { token: f.adminToken });
    expect(after.body).toMatchObject({ stockLeft: 89, issued: 11 });
  });

  it('groups touching the same accounts in opposite orders never deadlock', async () => {
    const unit = await f.orgUnit();
    const vs = await Promise.all(Array.from({ length: 4 }, () => f.volunteer(unit.id)));
    const writes = createWriteGroups(app.deps.db, { groupsMax: 4, groupSizeMax: 8 });
    const started = Date.now();
    // 200 writes over four accounts, submitted in ever-changing orders, four groups at a time.
    const all = await Promise.all(
      Array.from({ length: 200 }, (_, i) => withRetry(() => writes.ledger(credit(vs[(i * 7 + Math.floor(i / 4)) % 4]!.id, 1))).then((o) => o.replayed)),
    );
    expect(all.every((replayed) => replayed === false)).toBe(true);
    for (const v of vs) expect(await balanceOf(app, f.adminToken, v.id)).toBe(50);
    // A deadlock costs PostgreSQL's deadlock_timeout (1 s) before it is even noticed.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('the group lock', () => {
  it('finds its rows through the primary keys, whatever the tables held when its plan was made', async () => {
    // write_group_lock keeps one generic plan per connection. Planned while a table was nearly empty
    // (a new database, the first minute of a new table), that plan would be a sequential scan, kept
    // while the table grows until autovacuum next analyzes it: the redemptions table read whole for
    // every group of redeems.
    const group = [
      { op: 'redeem', arg: { id: randomUUID() } },
      { op: 'claim', arg: { redemption: { packId: randomUUID(), volunteerId: randomUUID() } } },
      { op: 'ledger', arg: { transaction: { reverses: randomUUID() }, postings: [{ account: randomUUID(), amount: 1 }] } },
    ];
    const scans = await app.deps.db.transaction().execute(async (trx) => {
      // Counted as a difference inside one transaction: PostgreSQL's per-transaction counters can
      // still hold a previous transaction's scans on the same connection until they are flushed.
      const counts = async () => {
        const { rows } = await sql<{ relname: string; seq_scan: string }>`
          select relname, seq_scan from pg_stat_xact_user_tables
           where relname in ('redemptions', 'accounts', 'packs', 'ledger_postings')`.execute(trx);
        return new Map(rows.map((r) => [r.relname, Number(r.seq_scan)]));
      };
      const before = await counts();
      for (let i = 0; i < 3; i++) await sql`select write_group_lock(${JSON.stringify(group)}::text::jsonb)`.execute(trx);
      const after = await counts();
      return Object.fromEntries([...after].map(([relname, n]) => [relname, n - (before.get(relname) ?? 0)]));
    });
    expect(scans).toEqual({ redemptions: 0, accounts: 0, packs: 0, ledger_postings: 0 });
  });
});
