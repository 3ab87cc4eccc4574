import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuanceAccountId } from '../src/ledger/accounts.js';
import { createScratchDatabase } from './support/scratch.js';

/**
 * The wish rules hold in the database itself, whatever the code does: history is append-only, a
 * wish moves only along its transitions, one version at a time, with a history row for each, and
 * it is confirmed only together with its award. These tests write SQL directly, in a database of
 * their own, as a careless script or a bug would.
 */

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let unit: string;
let volunteer: string;
let other: string;
let categoryId: string;

beforeAll(async () => {
  scratch = await createScratchDatabase();
  const { sql } = scratch;
  unit = randomUUID();
  await sql`insert into org_units (id, name, path, depth) values (${unit}, 'unit', ${`/${unit}/`}, 1)`;
  volunteer = randomUUID();
  other = randomUUID();
  for (const id of [volunteer, other]) {
    await sql`insert into volunteers (id, name, org_unit_id) values (${id}, 'v', ${unit})`;
    await sql`insert into accounts (id, kind, owner_id) values (${id}, 'volunteer', ${id}), (ledger_account_id('held:' || ${id}), 'held', ${id})`;
  }
  categoryId = randomUUID();
  await sql`insert into wish_categories (id, code, name, points, created_by) values (${categoryId}, 'repair', '维修', 20, 'test')`;
}, 120_000);
afterAll(async () => scratch?.drop());

/** An open wish with its first history row, as the service writes it. */
async function openWish(): Promise<string> {
  const id = randomUUID();
  await scratch.sql.begin(async (sql) => {
    await sql`insert into wishes (id, org_unit_id, category_id, title, posted_by_role, posted_by_id) values (${id}, ${unit}, ${categoryId}, 'wish', 'admin', 'ops')`;
    await sql`insert into wish_events (wish_id, version, to_status, actor_role, actor_id) values (${id}, 1, 'open', 'admin', 'ops')`;
  });
  return id;
}

/** Moves a wish as the service does: the row and its history row, in one transaction. */
async function moveTo(id: string, from: string, to: string, version: number, set: string) {
  await scratch.sql.begin(async (sql) => {
    await sql.unsafe(`update wishes set status = '${to}', version = ${version}, ${set} where id = '${id}'`);
    await sql`insert into wish_events (wish_id, version, from_status, to_status, actor_role, actor_id) values (${id}, ${version}, ${from}, ${to}, 'admin', 'ops')`;
  });
}

async function doneWish(): Promise<string> {
  const id = await openWish();
  await moveTo(id, 'open', 'taken', 2, `taker_id = '${volunteer}', taken_at = now(), first_taken_at = now()`);
  await moveTo(id, 'taken', 'done', 3, 'done_at = now()');
  return id;
}

const award = (wishId: string, to: string, points: number, reference = wishId) =>
  JSON.stringify({
    transaction: { id: randomUUID(), kind: 'award', memo: '微心愿 · 维修', reference, actorRole: 'admin', actorId: 'ops' },
    postings: [
      { account: issuanceAccountId(0), amount: -points },
      { account: to, amount: points },
    ],
  });

describe('the database keeps the wish rules', () => {
  it('refuses to change, delete or truncate history, and to delete or truncate wishes', async () => {
    const id = await openWish();
    await expect(scratch.sql`update wish_events set note = 'rewritten' where wish_id = ${id}`).rejects.toThrow(/append-only/);
    await expect(scratch.sql`delete from wish_events where wish_id = ${id}`).rejects.toThrow(/append-only/);
    await expect(scratch.sql`truncate wish_events cascade`).rejects.toThrow(/append-only/);
    await expect(scratch.sql`delete from wishes where id = ${id}`).rejects.toThrow(/permanent/);
    await expect(scratch.sql`truncate wishes cascade`).rejects.toThrow();
    await expect(scratch.sql`update wishes set title = 'another request' where id = ${id}`).rejects.toThrow(/request cannot change/);
    await expect(scratch.sql`update wishes set on_behalf_contact = '110' where id = ${id}`).rejects.toThrow(/never rewritten/);
  });

  it('allows only the transitions of the state machine, one version at a time, each with its history row', async () => {
    const id = await openWish();
    // Skipping a state.
    await expect(moveTo(id, 'open', 'done', 2, `taker_id = '${volunteer}', taken_at = now(), first_taken_at = now(), done_at = now()`)).rejects.toThrow(/cannot go from open to done/);
    // Two versions at once.
    await expect(moveTo(id, 'open', 'taken', 3, `taker_id = '${volunteer}', taken_at = now(), first_taken_at = now()`)).rejects.toThrow(/one version at a time/);
    // A change with no history row is refused at commit.
    await expect(scratch.sql`update wishes set status = 'cancelled', version = 2, closed_at = now() where id = ${id}`).rejects.toThrow(/without a history row/);
    // A history row that does not continue the one before it.
    await expect(scratch.sql`insert into wish_events (wish_id, version, from_status, to_status, actor_role, actor_id) values (${id}, 2, 'taken', 'done', 'admin', 'ops')`).rejects.toThrow(/does not continue/);
    // The legitimate move passes.
    await moveTo(id, 'open', 'cancelled', 2, 'closed_at = now()');
    // A final state is final.
    await expect(moveTo(id, 'cancelled', 'open', 3, 'closed_at = null')).rejects.toThrow(/cannot go from cancelled to open/);
  });

  it('confirms a wish only with its award: in the same transaction, to the taker, for the category points, once', async () => {
    const id = await doneWish();
    const confirm = (transactionId: string, points: number) => moveTo(id, 'done', 'confirmed', 4, `closed_at = now(), points_awarded = ${points}, award_transaction_id = '${transactionId}'`);
    // No award at all.
    await expect(confirm(randomUUID(), 20)).rejects.toThrow();
    // An award made in an earlier transaction.
    const [earlier] = await scratch.sql<{ r: { result: { transactionId: string } } }[]>`select ledger_apply(${award(id, volunteer, 20)}::text::jsonb) as r`;
    await expect(confirm(earlier!.r.result.transactionId, 20)).rejects.toThrow(/only together with its award/);
    // An award to someone else, for other points, or about something else, in the same transaction.
    for (const [to, points, reference] of [
      [other, 20, id],
      [volunteer, 25, id],
      [volunteer, 20, randomUUID()],
    ] as const) {
      await expect(
        scratch.sql.begin(async (sql) => {
          const [row] = await sql<{ r: { result: { transactionId: string } } }[]>`select ledger_apply(${award(id, to, points, reference)}::text::jsonb) as r`;
          const tx = row!.r.result.transactionId;
          await sql.unsafe(`update wishes set status = 'confirmed', version = 4, closed_at = now(), points_awarded = ${points}, award_transaction_id = '${tx}' where id = '${id}'`);
          await sql`insert into wish_events (wish_id, version, from_status, to_status, transaction_id, actor_role, actor_id) values (${id}, 4, 'done', 'confirmed', ${tx}, 'admin', 'ops')`;
        }),
      ).rejects.toThrow(/other points than its category's|only together with its award/);
    }
    // The award to the taker, for the category's points, referencing the wish, in the same transaction.
    let awarded = '';
    await scratch.sql.begin(async (sql) => {
      const [row] = await sql<{ r: { result: { transactionId: string } } }[]>`select ledger_apply(${award(id, volunteer, 20)}::text::jsonb) as r`;
      awarded = row!.r.result.transactionId;
      await sql.unsafe(`update wishes set status = 'confirmed', version = 4, closed_at = now(), points_awarded = 20, award_transaction_id = '${awarded}' where id = '${id}'`);
      await sql`insert into wish_events (wish_id, version, from_status, to_status, transaction_id, actor_role, actor_id) values (${id}, 4, 'done', 'confirmed', ${awarded}, 'admin', 'ops')`;
    });
    // Nothing about the award changes afterwards, and a second confirmation cannot be written.
    await expect(scratch.sql`update wishes set award_transaction_id = null where id = ${id}`).rejects.toThrow();
    await expect(scratch.sql`update wishes set points_awarded = 40 where id = ${id}`).rejects.toThrow(/only by moving/);
    await expect(scratch.sql`insert into wish_events (wish_id, version, from_status, to_status, transaction_id, actor_role, actor_id) values (${id}, 5, 'confirmed', 'confirmed', ${awarded}, 'admin', 'ops')`).rejects.toThrow();
    // Another wish cannot claim the same award.
    const second = await doneWish();
    await expect(
      scratch.sql.unsafe(`update wishes set status = 'confirmed', version = 4, closed_at = now(), points_awarded = 20, award_transaction_id = '${awarded}' where id = '${second}'`),
    ).rejects.toThrow();
  });

  it('checks a confirmation by key lookups, never reading the ledger or the history whole', async () => {
    const id = await doneWish();
    // Statistics taken while the tables are nearly empty make a sequential scan look cheapest.
    await scratch.sql`analyze ledger_transactions, ledger_postings, wish_events, wish_categories, wishes`;
    // Only tables the wish guards read and nothing else does in that step: foreign-key checks (on
    // ledger_transactions) and the ledger's own balance check (on ledger_postings, at commit) are
    // not the wishes' to answer for.
    const seqScans = async (sql: postgres.TransactionSql, tables: string[]) =>
      Number((await sql<{ n: string }[]>`select coalesce(sum(seq_scan), 0)::text as n from pg_stat_xact_user_tables where relname = any(${tables})`)[0]!.n);
    const scans: number[] = [];
    await scratch.sql.begin(async (sql) => {
      const [row] = await sql<{ r: { result: { transactionId: string } } }[]>`select ledger_apply(${award(id, volunteer, 20)}::text::jsonb) as r`;
      const tx = row!.r.result.transactionId;
      // Counted as differences inside this transaction: the counters may still hold an earlier one's.
      const moved = ['ledger_postings', 'wish_categories', 'wish_events'];
      const before = await seqScans(sql, moved);
      await sql.unsafe(`update wishes set status = 'confirmed', version = 4, closed_at = now(), points_awarded = 20, award_transaction_id = '${tx}' where id = '${id}'`);
      await sql`insert into wish_events (wish_id, version, from_status, to_status, transaction_id, actor_role, actor_id) values (${id}, 4, 'done', 'confirmed', ${tx}, 'admin', 'ops')`;
      scans.push((await seqScans(sql, moved)) - before);
      const history = await seqScans(sql, ['wish_events']);
      await sql`set constraints all immediate`;
      scans.push((await seqScans(sql, ['wish_events'])) - history);
    });
    expect(scans).toEqual([0, 0]);
  });

  it('keeps the per-state counters equal to the rows through every change', async () => {
    const rows = await scratch.sql<{ status: string; counted: string; actual: string }[]>`
      with counted as (select status, sum(n)::bigint as n from wish_counts group by status),
           actual as (select status, count(*)::bigint as n from wishes group by status)
      select c.status, c.n::text as counted, coalesce(a.n, 0)::text as actual from counted c left join actual a on a.status = c.status`;
    expect(rows.length).toBe(6);
    for (const row of rows) expect(row.counted, row.status).toBe(row.actual);
    expect(rows.find((r) => r.status === 'confirmed')?.actual).toBe('2');
  });
});
