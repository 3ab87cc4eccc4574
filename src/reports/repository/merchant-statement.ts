import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { MerchantLine } from '../schemas.js';

export interface MerchantPeriod {
  upto: number;
  opening: number;
  redeemed_count: number;
  redeemed_points: number;
  settled_count: number;
  settled_points: number;
  other_points: number;
}

/**
 * A merchant's owed account over a period, up to posting `upto` (as for volunteer statements):
 * settle postings are redemptions (owed grows), payout postings are settlements (owed shrinks).
 */
export async function merchantPeriod(db: Db, accountId: string, from: Date, to: Date): Promise<MerchantPeriod> {
  const result = await sql<MerchantPeriod>`
    with acct as (select entry_count as upto from accounts where id = ${accountId}),
    lines as (
      select p.amount, p.created_at, t.kind
        from acct join ledger_postings p on p.account_id = ${accountId} and p.seq <= acct.upto
        join ledger_transactions t on t.id = p.transaction_id
       where p.created_at < ${to}
    )
    select (select upto from acct) as upto,
           coalesce(sum(amount) filter (where created_at < ${from}), 0)::bigint as opening,
           count(*) filter (where created_at >= ${from} and kind = 'settle')::bigint as redeemed_count,
           coalesce(sum(amount) filter (where created_at >= ${from} and kind = 'settle'), 0)::bigint as redeemed_points,
           count(*) filter (where created_at >= ${from} and kind = 'payout')::bigint as settled_count,
           coalesce(-sum(amount) filter (where created_at >= ${from} and kind = 'payout'), 0)::bigint as settled_points,
           coalesce(sum(amount) filter (where created_at >= ${from} and kind not in ('settle', 'payout')), 0)::bigint as other_points
      from lines`.execute(db);
  const row = result.rows[0];
  if (!row || row.upto === null) throw new Error(`account ${accountId} not found`);
  return row;
}

/** A batch of a merchant's statement lines: its account's postings with the redemption and pack, or the settlement, behind each. */
export async function merchantLines(db: Db, q: { accountId: string; from: Date; to: Date; upto: number; after: number | undefined; limit: number }): Promise<MerchantLine[]> {
  const result = await sql<Omit<MerchantLine, 'createdAt'> & { createdAt: Date }>`
    select p.seq, p.transaction_id as "transactionId", t.created_at as "createdAt",
           case t.kind when 'settle' then 'redemption' when 'payout' then 'settlement' else 'other' end as kind,
           r.id as "redemptionId", pk.id as "packId", pk.title as "packTitle",
           p.amount as points, p.balance_after as "owedAfter",
           coalesce(st.reference, t.reference) as reference
      from ledger_postings p
      join ledger_transactions t on t.id = p.transaction_id
      -- A settle transaction's reference is its redemption's id (a uuid by construction).
      left join redemptions r on t.kind = 'settle' and r.id = case when t.kind = 'settle' then t.reference::uuid end
      left join packs pk on pk.id = r.pack_id
      left join settlements st on st.transaction_id = t.id
     where p.account_id = ${q.accountId} and p.seq > ${q.after ?? 0} and p.seq <= ${q.upto}
       and p.created_at >= ${q.from} and p.created_at < ${q.to}
     order by p.seq
     limit ${q.limit}`.execute(db);
  return result.rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}
