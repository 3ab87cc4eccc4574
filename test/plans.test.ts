import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { Factory } from './support/factories.js';
import { award, key } from './support/ledger.js';
import { createScratchDatabase } from './support/scratch.js';
import type { ScratchDatabase } from './support/setup.js';
import { tableReads } from './support/stats.js';

/**
 * The hot statements keep their key-lookup plans whatever the statistics say. A new deployment's
 * autovacuum analyzes the freshly migrated, empty tables; from then on the planner believes them
 * empty and, for a statement whose plan is cached, a sequential scan looks cheapest and is kept as
 * the tables grow. Here the database is analyzed while empty and stays nearly so (a page per
 * table), where a sequential scan truly is the cheapest plan, and each hot path runs more than five
 * times on one connection, so the plan PostgreSQL then caches for good is the one checked. No hot
 * path may scan a table whole.
 */

let scratch: ScratchDatabase;
let app: TestApp;
let f: Factory;

/** The tables the hot paths read: none may be scanned whole by them. */
const hotTables = ['accounts', 'ledger_transactions', 'ledger_postings', 'idempotency_keys', 'volunteers', 'organisers', 'merchants', 'org_units', 'redemptions', 'packs'];

beforeAll(async () => {
  scratch = await createScratchDatabase();
  await scratch.sql.unsafe('analyze');
  // One connection, so the service's statements all go through the session whose statistics are flushed below.
  app = await startTestApp({ DATABASE_URL: scratch.url, DB_POOL_MAX: '1', PRINCIPAL_CACHE_MS: '0', SWEEPER_INTERVAL_MS: '0', WRITE_GROUPS_MAX: '1' });
  f = await Factory.create(app);
});

afterAll(async () => {
  await app?.close();
  await scratch?.drop();
});

/** Sequential scans of the hot tables so far. */
async function seqScans(): Promise<Record<string, number>> {
  const reads = await tableReads(app, scratch, hotTables);
  return Object.fromEntries(Object.entries(reads).map(([table, r]) => [table, r.seqScans]));
}

describe('plans on a database analyzed while empty', () => {
  it('awards, idempotent replays, balance reads, claims, redeems and grouped writes never scan a hot table whole', async () => {
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    const volunteers = await Promise.all(Array.from({ length: 6 }, () => f.volunteer(unit.id)));
    const merchant = await f.merchant();
    const pack = await f.pack(merchant.id, { points: 10 });
    const organiserToken = await app.token('organiser', organiser.id);
    const volunteerTokens = await Promise.all(volunteers.map((v) => app.token('volunteer', v.id)));
    const merchantToken = await app.token('merchant', merchant.id);
    // The pack's terms are cached by the service after its first claim; that one lookup is not a hot path.
    await award(app, f.adminToken, volunteers[0]!.id, 10);
    expect((await app.request('POST', '/v1/redemptions', { token: volunteerTokens[0], body: { packId: pack.id } })).status).toBe(201);

    const before = await seqScans();

    for (const v of volunteers) {
      const sent = { token: organiserToken, body: { volunteerId: v.id, points: 50, reason: 'plans' }, headers: { 'idempotency-key': key() } };
      expect((await app.request('POST', '/v1/awards', sent)).status).toBe(201);
      // The same key again: the stored answer, found by the idempotency lookup.
      const replay = await app.request('POST', '/v1/awards', sent);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    // Writes that arrive together go to the database as one group (write_group and its lock).
    const together = await Promise.all(
      volunteers.flatMap((v) => [1, 2].map(() => app.request('POST', '/v1/awards', { token: f.adminToken, body: { volunteerId: v.id, points: 5, reason: 'group' }, headers: { 'idempotency-key': key() } }))),
    );
    expect(together.map((r) => r.status)).toEqual(together.map(() => 201));
    for (const [i, v] of volunteers.entries()) {
      const balance = await app.request('GET', `/v1/volunteers/${v.id}/balance`, { token: volunteerTokens[i] });
      expect(balance.status).toBe(200);
      expect(balance.body.balance).toBeGreaterThanOrEqual(50);
    }
    const claims = await Promise.all(volunteerTokens.map((token) => app.request('POST', '/v1/redemptions', { token, body: { packId: pack.id }, headers: { 'idempotency-key': key() } })));
    expect(claims.map((c) => c.status)).toEqual(claims.map(() => 201));
    const redeemed = await Promise.all(claims.map((c) => app.request('POST', '/v1/redemptions/redeem', { token: merchantToken, body: { token: c.body.token } })));
    expect(redeemed.map((r) => r.status)).toEqual(redeemed.map(() => 200));
    // And one at a time, each claim and redeem alone.
    for (const token of volunteerTokens) {
      const again = await app.request('POST', '/v1/redemptions', { token, body: { packId: pack.id }, headers: { 'idempotency-key': key() } });
      expect(again.status).toBe(201);
      expect((await app.request('POST', '/v1/redemptions/redeem', { token: merchantToken, body: { token: again.body.token } })).status).toBe(200);
    }

    const after = await seqScans();
    const scanned = Object.fromEntries(hotTables.map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));
    expect(scanned).toEqual(Object.fromEntries(hotTables.map((t) => [t, 0])));
  });

  it('the batched lookups keep one plan per connection rather than planning at every call', async () => {
    // A uuid[] parameter is assumed to hold ten elements, so PostgreSQL would otherwise re-plan each
    // call for its actual batch: most of a balance read's cost in the database.
    const rows = await scratch.sql<{ proname: string; proconfig: string[] }[]>`
      select proname, proconfig from pg_proc where proname in ('active_principals', 'volunteer_ledgers') order by proname`;
    expect(rows.map((r) => r.proname)).toEqual(['active_principals', 'volunteer_ledgers']);
    for (const r of rows) expect(r.proconfig).toEqual(expect.arrayContaining(['enable_seqscan=off', 'plan_cache_mode=force_generic_plan']));
  });
});
