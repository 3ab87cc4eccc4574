import type { Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { MerchantsTable, Status } from '../db/types.js';

export type MerchantRow = Selectable<MerchantsTable>;

export async function insertMerchant(db: Db | Tx, row: { id: string; name: string; org_unit_id: string | null }) {
  return db.insertInto('merchants').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findMerchant(db: Db | Tx, id: string): Promise<MerchantRow | undefined> {
  return db.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listMerchants(db: Db, filter: { withinPath?: string | undefined; status?: Status | undefined; afterId?: string | undefined; limit: number }): Promise<MerchantRow[]> {
  let q = db.selectFrom('merchants as m').selectAll('m').orderBy('m.id').limit(filter.limit + 1);
  if (filter.withinPath) {
    const prefix = filter.withinPath;
    q = q.where('m.org_unit_id', 'in', (sub) => sub.selectFrom('org_units').select('id').where('path', 'like', `${prefix}%`));
  }
  if (filter.status) q = q.where('m.status', '=', filter.status);
  if (filter.afterId) q = q.where('m.id', '>', filter.afterId);
  return q.execute();
}

export async function setMerchantStatus(db: Db | Tx, id: string, status: Status) {
  return db
    .updateTable('merchants')
    .set({ status, deactivated_at: status === 'inactive' ? new Date() : null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
