import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { award } from './support/ledger.js';
import { shanghaiDay } from './support/reports.js';
import { useTestApp } from './support/setup.js';

/**
 * The ledger digests the office records for the auditor: one a day, append-only in the database,
 * each re-checked against the ledger on request. A database of its own: "today" has one record.
 */

let app: TestApp;
let f: Factory;
useTestApp({ scratch: true, ledgerSound: true }, (started) => ({ app, f } = started));

const post = (token = f.adminToken) => app.request('POST', '/v1/ledger/digests', { token });

describe('ledger digests for the auditor', () => {
  it("records today's digest once, however often and however concurrently asked, and it matches the ledger's", async () => {
    const unit = await f.orgUnit();
    const v = await f.volunteer(unit.id);
    await award(app, f.adminToken, v.id, 40);
    const answers = await Promise.all(Array.from({ length: 6 }, () => post()));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(5);
    const ids = new Set(answers.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const record = answers[0]!.body;
    expect(record).toMatchObject({ day: shanghaiDay(new Date()), recordedBy: 'test-admin' });
    expect(record.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(record.asOf).getTime()).toBeLessThanOrEqual(Date.now() - 59_000);
    // The same moment asked of the ledger's own digest route gives the same text.
    const direct = await app.request('GET', `/v1/ledger/digest?asOf=${encodeURIComponent(record.asOf)}`, { token: f.adminToken });
    expect(direct.body.digest).toBe(record.digest);

    const check = await app.request('GET', `/v1/ledger/digests/${record.id}`, { token: f.adminToken });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ ...record, recomputed: record.digest, matches: true });

    const list = await app.request('GET', '/v1/ledger/digests', { token: f.adminToken });
    expect(list.body).toEqual({ items: [record], nextCursor: null });
  });

  it('keeps records that the database will not let anyone change, and says when history no longer matches', async () => {
    const [record] = (await app.request('GET', '/v1/ledger/digests', { token: f.adminToken })).body.items;
    await expect(sql`update ledger_digests set digest = repeat('0', 64)`.execute(app.deps.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_digests`.execute(app.deps.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate ledger_digests`.execute(app.deps.db)).rejects.toThrow(/append-only/);
    await expect(sql`insert into ledger_digests (id, day, as_of, digest, accounts, entries, recorded_by) values (gen_random_uuid(), '2020-01-01', now(), 'not hex', 0, 0, 'x')`.execute(app.deps.db)).rejects.toThrow(/ledger_digests_digest_hex/);
    await expect(sql`insert into ledger_digests (id, day, as_of, digest, accounts, entries, recorded_by) values (gen_random_uuid(), '2020-01-01', now() + interval '1 day', repeat('a', 64), 0, 0, 'x')`.execute(app.deps.db)).rejects.toThrow(/ledger_digests_as_of_past/);

    // An older day's record whose digest no longer matches the ledger for its moment: as the
    // auditor would see after someone rewrote history (here the record is simply wrong).
    const wrong = await sql<{ id: string }>`
      insert into ledger_digests (id, day, as_of, digest, accounts, entries, recorded_by)
      values (gen_random_uuid(), '2020-01-02', ${record.asOf}, repeat('b', 64), 1, 1, 'ops') returning id`.execute(app.deps.db);
    const check = await app.request('GET', `/v1/ledger/digests/${wrong.rows[0]!.id}`, { token: f.adminToken });
    expect(check.body).toMatchObject({ matches: false, recomputed: record.digest, digest: 'b'.repeat(64) });

    // Newest day first, paged by day.
    const first = await app.request('GET', '/v1/ledger/digests?limit=1', { token: f.adminToken });
    expect(first.body.items.map((i: any) => i.day)).toEqual([record.day]);
    const second = await app.request('GET', `/v1/ledger/digests?limit=1&cursor=${first.body.nextCursor}`, { token: f.adminToken });
    expect(second.body.items.map((i: any) => i.day)).toEqual(['2020-01-02']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('is for admins only; an unknown record is 404 and a bad cursor 400', async () => {
    const unit = await f.orgUnit();
    const organiser = await f.organiser(unit.id);
    expect((await post(await app.token('organiser', organiser.id))).status).toBe(403);
    expect((await app.request('GET', '/v1/ledger/digests', { token: await app.token('organiser', organiser.id) })).status).toBe(403);
    expect((await app.request('GET', '/v1/ledger/digests/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { token: f.adminToken })).status).toBe(404);
    const bad = await app.request('GET', '/v1/ledger/digests?cursor=nonsense', { token: f.adminToken });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
  });
});
