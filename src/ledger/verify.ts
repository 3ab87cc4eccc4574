import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/database.js';
import { forbidden } from '../errors.js';
import { ledgerDigestAsOf } from './digest.js';

export interface Mismatch {
  problem: string;
  postingId: number | null;
  accountId: string | null;
  transactionId: string | null;
  detail: string;
}

/**
 * Recomputes the whole ledger from its rows: every posting's hash and link to the one before it in
 * its account's chain, the sequence, the running balance, each account's cached balance, earned
 * total and chain head, that every transaction balances, and that all balances sum to zero.
 * Names the first row (lowest posting id) that does not match.
 */
export async function verifyLedger(deps: { db: Db }, actor: Actor) {
  if (actor.role !== 'admin') throw forbidden('only admins verify the ledger');
  return verifyLedgerRows(deps);
}

/** The verification itself, without the role check, for scripts. */
export async function verifyLedgerRows(deps: { db: Db }) {
  const db = deps.db;
  const postings = await sql<Mismatch & { checked: number }>`
    with chain as (
      select p.id, p.account_id, p.transaction_id, p.seq, p.amount, p.balance_after, p.prev_hash, p.hash,
             ledger_tx_digest(t.id, t.kind, t.memo, t.reference, t.actor_role, t.actor_id, t.reverses_id, t.created_at) as digest,
             lag(p.hash) over w as previous_hash,
             lag(p.seq) over w as previous_seq,
             sum(p.amount) over (w rows between unbounded preceding and current row) as running
        from ledger_postings p
        join ledger_transactions t on t.id = p.transaction_id
      window w as (partition by p.account_id order by p.seq)
    ), judged as (
      select id, account_id, transaction_id,
             case
               when hash <> ledger_posting_hash(prev_hash, account_id, seq, transaction_id, amount, balance_after, digest) then 'hash_mismatch'
               when prev_hash <> coalesce(previous_hash, decode(repeat('00', 32), 'hex')) then 'chain_broken'
               when seq <> coalesce(previous_seq, 0) + 1 then 'sequence_gap'
               when balance_after <> running then 'balance_after_mismatch'
             end as problem
        from chain
    )
    select (select count(*) from ledger_postings)::bigint as checked, id as "postingId", account_id as "accountId", transaction_id as "transactionId", problem,
           'the posting does not match its recomputation' as detail
      from judged where problem is not null
     order by id
     limit 1`.execute(db);
  const accountsCount = await sql<{ n: number }>`select count(*)::bigint as n from accounts`.execute(db);
  const txCount = await sql<{ n: number }>`select count(*)::bigint as n from ledger_transactions`.execute(db);
  const entriesChecked = Number((await sql<{ n: number }>`select count(*)::bigint as n from ledger_postings`.execute(db)).rows[0]?.n ?? 0);
  const accountsChecked = accountsCount.rows[0]?.n ?? 0;
  const transactionsChecked = txCount.rows[0]?.n ?? 0;
  let firstMismatch: Mismatch | undefined = postings.rows[0];

  if (!firstMismatch) {
    const cache = await sql<Mismatch>`
      select null::bigint as "postingId", a.id as "accountId", null::uuid as "transactionId",
             case
               when a.balance <> coalesce(last.balance_after, 0) then 'cached_balance_mismatch'
               when a.entry_count <> coalesce(last.seq, 0) or a.head_hash <> coalesce(last.hash, decode(repeat('00', 32), 'hex')) then 'chain_head_mismatch'
               when a.earned <> coalesce(earned.total, 0) then 'earned_mismatch'
             end as problem,
             'the account''s cached values differ from its postings' as detail
        from accounts a
        left join lateral (select p.seq, p.balance_after, p.hash from ledger_postings p where p.account_id = a.id order by p.seq desc limit 1) last on true
        left join lateral (
          select sum(p.amount) as total
            from ledger_postings p
            join ledger_transactions t on t.id = p.transaction_id
            left join ledger_transactions o on o.id = t.reverses_id
           where p.account_id = a.id and a.kind = 'volunteer'
             and (t.kind in ('award', 'correction') or o.kind in ('award', 'correction'))
        ) earned on true
       where a.balance <> coalesce(last.balance_after, 0)
          or a.entry_count <> coalesce(last.seq, 0)
          or a.head_hash <> coalesce(last.hash, decode(repeat('00', 32), 'hex'))
          or a.earned <> coalesce(earned.total, 0)
       order by a.id
       limit 1`.execute(db);
    firstMismatch = cache.rows[0];
  }
  if (!firstMismatch) {
    const unbalanced = await sql<Mismatch>`
      select null::bigint as "postingId", null::uuid as "accountId", t.id as "transactionId", 'unbalanced_transaction' as problem,
             'the transaction''s postings do not sum to zero, or it has fewer than two' as detail
        from ledger_transactions t
        left join lateral (select count(*) as n, coalesce(sum(amount), 0) as s from ledger_postings p where p.transaction_id = t.id) x on true
       where x.n < 2 or x.s <> 0
       order by t.created_at, t.id
       limit 1`.execute(db);
    firstMismatch = unbalanced.rows[0];
  }
  if (!firstMismatch) {
    const sum = await sql<{ s: number }>`select coalesce(sum(balance), 0)::bigint as s from accounts`.execute(db);
    const s = sum.rows[0]?.s ?? 0;
    if (s !== 0) firstMismatch = { problem: 'balances_do_not_sum_to_zero', postingId: null, accountId: null, transactionId: null, detail: `all balances sum to ${s}` };
  }
  const digest = await ledgerDigestAsOf(deps, undefined);
  return {
    ok: !firstMismatch,
    accountsChecked,
    entriesChecked,
    transactionsChecked,
    ...(firstMismatch ? { firstMismatch: { ...firstMismatch, postingId: firstMismatch.postingId === null ? null : Number(firstMismatch.postingId) } } : {}),
    digest: digest.digest,
    digestAsOf: digest.asOf,
  };
}
