import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { SettlementsTable } from '../db/types.js';

export type SettlementRow = Selectable<SettlementsTable>;

/** A period by time; either end may be open. */
export interface Period {
  from?: Date | undefined;
  to?: Date | undefined;
}

/** How many claims a merchant redeemed in a period (by redemption time), and their points. */
export async function redeemedTotals(db: Db, merchantId: string, period: Period): Promise<{ count: number; points: number }> {
  let q = db
    .selectFrom('redemptions')
    .select([sql<number>`count(*)::bigint`.as('count'), sql<number>`coalesce(sum(points), 0)::bigint`.as('points')])
    .where('merchant_id', '=', merchantId)
    .where('status', '=', 'redeemed');
  if (period.from) q = q.where('resolved_at', '>=', period.from);
  if (period.to) q = q.where('resolved_at', '<', period.to);
  return q.executeTakeFirstOrThrow();
}

/** The settlements recorded for a merchant in a period, oldest first. */
export async function listSettlements(db: Db, merchantId: string, period: Period): Promise<SettlementRow[]> {
  let q = db.selectFrom('settlements').selectAll().where('merchant_id', '=', merchantId);
  if (period.from) q = q.where('created_at', '>=', period.from);
  if (period.to) q = q.where('created_at', '<', period.to);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** The cached balances of the given accounts. */
export async function accountBalances(db: Db, accountIds: string[]): Promise<{ id: string; balance: number }[]> {
  return db.selectFrom('accounts').select(['id', 'balance']).where('id', 'in', accountIds).execute();
}

/** The settlement already recorded for a merchant under a payment reference, if any. */
export async function findSettlementByReference(tx: Tx, merchantId: string, reference: string): Promise<{ id: string } | undefined> {
  return tx.selectFrom('settlements').select('id').where('merchant_id', '=', merchantId).where('reference', '=', reference).executeTakeFirst();
}

export async function insertSettlement(
  tx: Tx,
  row: { id: string; merchant_id: string; points: number; reference: string; transaction_id: string; actor_role: string; actor_id: string },
): Promise<SettlementRow> {
  return tx.insertInto('settlements').values(row).returningAll().executeTakeFirstOrThrow();
}
