import { sql } from 'kysely';
import { batchLoader, uuidArray } from '../db/batch.js';
import { statement, type Db } from '../db/database.js';
import { uuidPattern } from '../db/ids.js';

/** The ledger's reads behind the points routes: balances, statement pages, transactions, totals. */

export interface VolunteerLedgerRow {
  id: string;
  path: string;
  balance: number;
  earned: number;
  held: number;
  service_minutes: number;
}

// Every balance read and statement page runs it, so it is written once as SQL (see statement()),
// for a batch of volunteers ($1, a uuid[] literal) at a time. volunteer_ledgers
// (sql/0014_plans_and_counts.sql) keeps its index lookups whatever the table statistics say.
const selectVolunteerLedgers = statement<VolunteerLedgerRow>('select id, path, balance, earned, held, service_minutes from volunteer_ledgers($1::text::uuid[])');

/** One loader per database: reads of volunteers' balances asked for in the same moment share a query. */
const volunteerLedgerLoaders = new WeakMap<object, (id: string) => Promise<VolunteerLedgerRow | undefined>>();

export async function volunteerLedger(db: Db, volunteerId: string): Promise<VolunteerLedgerRow | undefined> {
  // A malformed id would fail the whole batch's query, so it is simply not found.
  if (!uuidPattern.test(volunteerId)) return undefined;
  let load = volunteerLedgerLoaders.get(db);
  if (!load) {
    load = batchLoader<VolunteerLedgerRow>(async (ids) => new Map((await selectVolunteerLedgers(db, uuidArray(ids))).map((row) => [row.id, row])));
    volunteerLedgerLoaders.set(db, load);
  }
  return load(volunteerId.toLowerCase());
}

/** The service record whose approval or correction a transaction credits, if any. */
export async function recordCreditedBy(db: Db, transactionId: string): Promise<string | undefined> {
  const owner = await sql<{ record_id: string }>`select record_id from service_record_versions where transaction_id = ${transactionId} limit 1`.execute(db);
  return owner.rows[0]?.record_id;
}

/** A page of an account's postings with their transactions, newest first, before posting `before` in its chain. */
export async function statementPage(db: Db, accountId: string, page: { before: number | undefined; limit: number }) {
  let q = db
    .selectFrom('ledger_postings as p')
    .innerJoin('ledger_transactions as t', 't.id', 'p.transaction_id')
    .select(['p.seq', 'p.transaction_id', 't.kind', 'p.amount', 'p.balance_after', 't.memo', 't.reference', 't.reverses_id', 't.created_at'])
    .where('p.account_id', '=', accountId)
    .orderBy('p.seq', 'desc')
    .limit(page.limit);
  if (page.before !== undefined) q = q.where('p.seq', '<', page.before);
  return q.execute();
}

/** A transaction, with the id of the transaction that reversed it (if one did). */
export async function findTransaction(db: Db, id: string) {
  return db
    .selectFrom('ledger_transactions as t')
    .leftJoin('ledger_transactions as r', 'r.reverses_id', 't.id')
    .selectAll('t')
    .select('r.id as reversed_by')
    .where('t.id', '=', id)
    .executeTakeFirst();
}

/** A transaction's postings with their accounts' kind and owner, in posting order. */
export async function transactionPostings(db: Db, id: string) {
  return db
    .selectFrom('ledger_postings as p')
    .innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.account_id', 'a.kind', 'a.owner_id', 'p.amount', 'p.balance_after'])
    .where('p.transaction_id', '=', id)
    .orderBy('p.id')
    .execute();
}

/** The sum and count of the cached balances of each kind of account. */
export async function balancesByKind(db: Db) {
  return db
    .selectFrom('accounts')
    .select(['kind', sql<number>`coalesce(sum(balance), 0)::bigint`.as('total'), sql<number>`count(*)::bigint`.as('count')])
    .groupBy('kind')
    .execute();
}

export async function countTransactions(db: Db): Promise<number> {
  const transactions = await sql<{ n: number }>`select count(*)::bigint as n from ledger_transactions`.execute(db);
  return transactions.rows[0]?.n ?? 0;
}
