import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { PacksTable } from '../db/types.js';

export type PackRow = Selectable<PacksTable>;
/** A pack with its claims outstanding and redeemed, counted from the redemption rows. */
export type PackView = PackRow & { issued: number; redeemed: number };

const issuedCount = sql<number>`(select count(*) from redemptions r where r.pack_id = p.id and r.status = 'issued')::int`;
const redeemedCount = sql<number>`(select count(*) from redemptions r where r.pack_id = p.id and r.status = 'redeemed')::int`;

export async function insertPack(db: Db | Tx, row: Omit<PackRow, 'claimed' | 'status' | 'created_at' | 'updated_at'>): Promise<PackRow> {
  return db.insertInto('packs').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findPack(db: Db | Tx, id: string): Promise<PackView | undefined> {
  return db.selectFrom('packs as p').selectAll('p').select([issuedCount.as('issued'), redeemedCount.as('redeemed')]).where('p.id', '=', id).executeTakeFirst();
}

export async function findPackForUpdate(tx: Tx, id: string): Promise<PackRow | undefined> {
  return tx.selectFrom('packs').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updatePack(tx: Tx, id: string, changes: Partial<Pick<PackRow, 'title' | 'description' | 'status' | 'valid_from' | 'valid_until'>>): Promise<PackRow> {
  return tx
    .updateTable('packs')
    .set({ ...changes, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Packs that can be claimed at this moment: active, from an active merchant, in their window, with stock left. */
export async function listClaimable(db: Db, filter: { merchantId?: string | undefined; afterId?: string | undefined; limit: number }): Promise<PackView[]> {
  let q = db
    .selectFrom('packs as p')
    .innerJoin('merchants as m', 'm.id', 'p.merchant_id')
    .selectAll('p')
    .select([issuedCount.as('issued'), redeemedCount.as('redeemed')])
    .where('p.status', '=', 'active')
    .where('m.status', '=', 'active')
    .where((eb) => eb.or([eb('p.valid_from', 'is', null), eb('p.valid_from', '<=', sql<Date>`now()`)]))
    .where((eb) => eb.or([eb('p.valid_until', 'is', null), eb('p.valid_until', '>', sql<Date>`now()`)]))
    .where((eb) => eb.or([eb('p.stock_left', 'is', null), eb('p.stock_left', '>', 0)]))
    .orderBy('p.id')
    .limit(filter.limit + 1);
  if (filter.merchantId) q = q.where('p.merchant_id', '=', filter.merchantId);
  if (filter.afterId) q = q.where('p.id', '>', filter.afterId);
  return q.execute();
}

/** Every pack of one merchant, whatever its status or window, oldest first (the merchant's and the office's list). */
export async function listForMerchant(db: Db, filter: { merchantId: string; status?: PackRow['status'] | undefined; afterId?: string | undefined; limit: number }): Promise<PackView[]> {
  let q = db
    .selectFrom('packs as p')
    .selectAll('p')
    .select([issuedCount.as('issued'), redeemedCount.as('redeemed')])
    .where('p.merchant_id', '=', filter.merchantId)
    .orderBy('p.id')
    .limit(filter.limit + 1);
  if (filter.status) q = q.where('p.status', '=', filter.status);
  if (filter.afterId) q = q.where('p.id', '>', filter.afterId);
  return q.execute();
}
