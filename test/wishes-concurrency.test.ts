import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { postWish as postWishVerb, sweepExpiredWishes } from '../src/wishes/service.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { key } from './support/ledger.js';
import { category, move, moveOk, neighbourhood, postWish } from './support/wishes.js';

let app: TestApp;
let f: Factory;
useTestApp({ env: { DB_POOL_MAX: '20', WISH_POST_HOLDER_MINUTES: '0' }, ledgerSound: true }, (started) => ({ app, f } = started));

async function volunteersIn(unitId: string, count: number) {
  const out: { id: string; token: string }[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, count - i) }, () => f.volunteer(unitId)));
    out.push(...(await Promise.all(batch.map(async (v) => ({ id: v.id, token: await app.token('volunteer', v.id) })))));
  }
  return out;
}

const awardsFor = async (wishId: string) =>
  (await sql<{ id: string; amount: number; account_id: string }>`
    select t.id, p.amount, p.account_id from ledger_transactions t
      join ledger_postings p on p.transaction_id = t.id and p.amount > 0
     where t.reference = ${wishId}`.execute(app.deps.db)).rows;

const eventsOf = async (wishId: string) =>
  (await sql<{ version: number; from_status: string | null; to_status: string }>`select version, from_status, to_status from wish_events where wish_id = ${wishId} order by version`.execute(app.deps.db)).rows;

describe('wishes under concurrency', () => {
  it('50 volunteers taking one wish at once: exactly one wins, the others hear already_taken', async () => {
    const n = await neighbourhood(app, f, 0);
    const c = await category(app, f);
    const takers = await volunteersIn(n.gridA.id, 50);
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '抢单', onBehalfOf: { name: '陈阿婆', contact: '6栋' } });
    const results = await Promise.all(takers.map((t) => move(app, t.token, wish.id, 'take')));
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    const lost = results.filter((r) => r.status !== 200);
    expect(lost.map((r) => [r.status, r.body.code])).toEqual(Array(49).fill([409, 'already_taken']));
    const winner = won[0]!.body.takerId;
    expect(takers.map((t) => t.id)).toContain(winner);
    const read = await app.request('GET', `/v1/wishes/${wish.id}`, { token: f.adminToken });
    expect(read.body).toMatchObject({ status: 'taken', takerId: winner, version: 2 });
    expect((await eventsOf(wish.id)).map((e) => e.to_status)).toEqual(['open', 'taken']);
  });

  it('50 confirmations at once, from several callers and retries: one award, with the wish as reference', async () => {
    const n = await neighbourhood(app, f, 1);
    const c = await category(app, f, 40);
    const taker = n.volunteers[0]!;
    const wish = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '同时确认', onBehalfOf: { name: '黄伯', contact: '7栋' } });
    await moveOk(app, taker.token, wish.id, 'take');
    await moveOk(app, taker.token, wish.id, 'done');
    const retryKey = key();
    const requests = Array.from({ length: 50 }, (_, i) => {
      if (i % 5 === 0) return move(app, n.organiserToken, wish.id, 'confirm', {}, { 'idempotency-key': retryKey });
      if (i % 2 === 0) return move(app, f.adminToken, wish.id, 'confirm', { note: '确认' }, { 'idempotency-key': key() });
      return move(app, n.organiserToken, wish.id, 'confirm');
    });
    const results = await Promise.all(requests);
    const statuses = results.map((r) => (r.status === 200 ? 200 : `${r.status} ${r.body.code}`));
    expect(statuses.filter((s) => s !== 200 && s !== '409 idempotency_in_progress'), JSON.stringify(statuses)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(41);
    const awards = await awardsFor(wish.id);
    expect(awards).toEqual([{ id: expect.any(String), amount: 40, account_id: taker.id }]);
    for (const r of results.filter((x) => x.status === 200)) expect(r.body.awardTransactionId).toBe(awards[0]!.id);
    expect((await eventsOf(wish.id)).filter((e) => e.to_status === 'confirmed')).toHaveLength(1);
    const balance = await app.request('GET', `/v1/volunteers/${taker.id}/balance`, { token: f.adminToken });
    expect(balance.body.balance).toBe(40);
    // Retries later change nothing either.
    await moveOk(app, n.organiserToken, wish.id, 'confirm');
    expect(await awardsFor(wish.id)).toHaveLength(1);
  });

  it('awards each wish the points its category has at the moment of confirmation, while the points change', async () => {
    const n = await neighbourhood(app, f, 0);
    const c = await category(app, f, 10);
    const takers = await volunteersIn(n.gridA.id, 12);
    const wishes = [];
    for (const t of takers) {
      const w = await postWish(app, n.organiserToken, { orgUnitId: n.gridA.id, category: c.code, title: '积分变化中', onBehalfOf: { name: '居民', contact: '社区' } });
      await moveOk(app, t.token, w.id, 'take');
      await moveOk(app, t.token, w.id, 'done');
      wishes.push({ id: w.id, taker: t.id });
    }
    const changes = [11, 12, 13, 14, 15].map((points) => app.request('PATCH', `/v1/wish-categories/${c.code}`, { token: f.adminToken, body: { points } }));
    const confirms = wishes.flatMap((w) => [move(app, n.organiserToken, w.id, 'confirm'), move(app, f.adminToken, w.id, 'confirm')]);
    const results = await Promise.all([...changes, ...confirms]);
    expect(results.map((r) => r.status)).toEqual(Array(results.length).fill(200));
    for (const w of wishes) {
      const awards = await awardsFor(w.id);
      expect(awards).toHaveLength(1);
      expect(awards[0]!.account_id).toBe(w.taker);
      const stored = await sql<{ points_awarded: number }>`select points_awarded from wishes where id = ${w.id}`.execute(app.deps.db);
      expect(stored.rows[0]?.points_awarded).toBe(awards[0]!.amount);
      expect([10, 11, 12, 13, 14, 15]).toContain(awards[0]!.amount);
    }
  });

  it('keeps one consistent history when the taker, the poster and an organiser act on a wish at once', async () => {
    const n = await neighbourhood(app, f, 2);
    const c = await category(app, f);
    const [poster, taker] = n.volunteers;
    for (let round = 0; round < 8; round++) {
      const wish = await postWish(app, poster!.token, { orgUnitId: n.gridA.id, category: c.code, title: `第${round}轮` });
      await moveOk(app, taker!.token, wish.id, 'take');
      const results = await Promise.all([
        move(app, taker!.token, wish.id, 'done', { note: '做完了' }),
        move(app, taker!.token, wish.id, 'release'),
        move(app, poster!.token, wish.id, 'cancel'),
        move(app, n.organiserToken, wish.id, 'release'),
        move(app, poster!.token, wish.id, 'confirm'),
      ]);
      for (const r of results) expect([200, 403, 409], JSON.stringify(r.body)).toContain(r.status);
      const events = await eventsOf(wish.id);
      events.forEach((e, i) => {
        expect(e.version).toBe(i + 1);
        if (i > 0) expect(e.from_status).toBe(events[i - 1]!.to_status);
      });
      const final = await sql<{ status: string; version: number }>`select status, version from wishes where id = ${wish.id}`.execute(app.deps.db);
      expect(final.rows[0]).toEqual({ status: events.at(-1)!.to_status, version: events.length });
      const awards = await awardsFor(wish.id);
      expect(awards).toHaveLength(final.rows[0]?.status === 'confirmed' ? 1 : 0);
    }
  });

  it('takes many wishes by many volunteers at once without a deadlock, one taker each, counters exact', async () => {
    const n = await neighbourhood(app, f, 0);
    const c = await category(app, f);
    const takers = await volunteersIn(n.gridB.id, 10);
    const wishes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postWish(app, n.organiserToken, { orgUnitId: n.gridB.id, category: c.code, title: `批量 ${i}`, onBehalfOf: { name: '居民', contact: '社区' } })),
    );
    const results = await Promise.all(wishes.flatMap((w, i) => [takers[i % 10]!, takers[(i + 3) % 10]!, takers[(i + 7) % 10]!].map((t) => move(app, t.token, w.id, 'take'))));
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'already_taken')).toHaveLength(40);
    const mismatch = await sql<{ status: string }>`
      with counted as (select status, sum(n)::bigint as n from wish_counts group by status),
           actual as (select status, count(*)::bigint as n from wishes group by status)
      select coalesce(c.status, a.status) as status from counted c full join actual a on a.status = c.status
       where coalesce(c.n, 0) <> coalesce(a.n, 0)`.execute(app.deps.db);
    expect(mismatch.rows).toEqual([]);
  });

  it('expires each overdue wish exactly once when several sweepers run at the same time', async () => {
    const n = await neighbourhood(app, f, 1);
    const c = await category(app, f);
    const poster = { role: 'volunteer' as const, id: n.volunteers[0]!.id, orgUnitId: n.volunteers[0]!.orgUnitId };
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const posted = await postWishVerb(
        app.deps,
        poster,
        { orgUnitId: n.gridA.id, category: c.code, title: `过期 ${i}`, neededBy: new Date(Date.now() - (i + 1) * 60_000).toISOString() },
        undefined,
        { at: new Date(Date.now() - 24 * 3_600_000) },
      );
      ids.push(posted.body.id);
    }
    // Four sweepers in slices of three, side by side. (Other test files may sweep the same database
    // at the same time, so what counts is that each wish expired once, not who expired it.)
    await Promise.all(Array.from({ length: 4 }, () => sweepExpiredWishes(app.deps, 3)));
    const rows = await sql<{ id: string; status: string; expiries: number }>`
      select w.id, w.status, (select count(*) from wish_events e where e.wish_id = w.id and e.to_status = 'expired')::int as expiries
        from wishes w where w.id = any(${`{${ids.join(',')}}`}::uuid[])`.execute(app.deps.db);
    expect(rows.rows).toHaveLength(30);
    for (const row of rows.rows) expect(row).toMatchObject({ status: 'expired', expiries: 1 });
  });
});
