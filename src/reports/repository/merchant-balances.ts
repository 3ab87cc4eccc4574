import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Status } from '../../db/types.js';

/**
 * What the programme owes each merchant: the balances of its two ledger accounts (owed: redeemed
 * and not yet settled; settled: paid out since the start) and its redemptions and settlements in a
 * period. Balances are the accounts' cached balances, which the ledger's verification proves equal
 * to the sum of their postings.
 */

export interface MerchantBalanceRow {
  merchantId: string;
  name: string;
  status: Status;
  owed: number;
  settledTotal: number;
  redeemedCount: number;
  redeemedPoints: number;
  settledCount: number;
  settledPoints: number;
  lastSettlementAt: string | null;
}

const balanceSelect = (from: Date, to: Date) => sql`
    select m.id as "merchantId", m.name, m.status,
           coalesce(owed.balance, 0)::bigint as owed,
           coalesce(paid.balance, 0)::bigint as "settledTotal",
           (select count(*) from redemptions r where r.merchant_id = m.id and r.status = 'redeemed' and r.resolved_at >= ${from} and r.resolved_at < ${to})::bigint as "redeemedCount",
           (select coalesce(sum(r.points), 0) from redemptions r where r.merchant_id = m.id and r.status = 'redeemed' and r.resolved_at >= ${from} and r.resolved_at < ${to})::bigint as "redeemedPoints",
           (select count(*) from settlements s where s.merchant_id = m.id and s.created_at >= ${from} and s.created_at < ${to})::bigint as "settledCount",
           (select coalesce(sum(s.points), 0) from settlements s where s.merchant_id = m.id and s.created_at >= ${from} and s.created_at < ${to})::bigint as "settledPoints",
           (select max(s.created_at) from settlements s where s.merchant_id = m.id) as "lastSettlementAt"
      from merchants m
      left join accounts owed on owed.id = m.id and owed.kind = 'merchant'
      left join accounts paid on paid.owner_id = m.id and paid.kind = 'payout'`;

/** A batch of merchants in id (registration) order, after `after`. */
export async function merchantBalances(db: Db, q: { from: Date; to: Date; after: string | undefined; limit: number }): Promise<MerchantBalanceRow[]> {
  const result = await sql<Omit<MerchantBalanceRow, 'lastSettlementAt'> & { lastSettlementAt: Date | null }>`
    ${balanceSelect(q.from, q.to)}
     where ${q.after ?? null}::uuid is null or m.id > ${q.after ?? null}::uuid
     order by m.id
     limit ${q.limit}`.execute(db);
  return result.rows.map((r) => ({ ...r, lastSettlementAt: r.lastSettlementAt ? r.lastSettlementAt.toISOString() : null }));
}

export interface MerchantBalanceTotals {
  merchants: number;
  owed: number;
  settled_total: number;
  redeemed_count: number;
  redeemed_points: number;
  settled_count: number;
  settled_points: number;
}

/** The same figures summed over every merchant. */
export async function merchantBalanceTotals(db: Db, q: { from: Date; to: Date }): Promise<MerchantBalanceTotals> {
  const result = await sql<MerchantBalanceTotals>`
    select (select count(*) from merchants)::bigint as merchants,
           (select coalesce(sum(balance), 0) from accounts where kind = 'merchant')::bigint as owed,
           (select coalesce(sum(balance), 0) from accounts where kind = 'payout')::bigint as settled_total,
           (select count(*) from redemptions where status = 'redeemed' and resolved_at >= ${q.from} and resolved_at < ${q.to})::bigint as redeemed_count,
           (select coalesce(sum(points), 0) from redemptions where status = 'redeemed' and resolved_at >= ${q.from} and resolved_at < ${q.to})::bigint as redeemed_points,
           (select count(*) from settlements where created_at >= ${q.from} and created_at < ${q.to})::bigint as settled_count,
           (select coalesce(sum(points), 0) from settlements where created_at >= ${q.from} and created_at < ${q.to})::bigint as settled_points`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('merchant totals query returned no row');
  return row;
}
