import type { Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { OrgUnitsTable, Status } from '../db/types.js';

export type OrgUnitRow = Selectable<OrgUnitsTable>;

export async function findOrgUnit(db: Db | Tx, id: string): Promise<OrgUnitRow | undefined> {
  return db.selectFrom('org_units').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertOrgUnit(db: Db | Tx, row: Omit<OrgUnitRow, 'status' | 'created_at' | 'deactivated_at'>): Promise<OrgUnitRow> {
  return db.insertInto('org_units').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listOrgUnits(db: Db, filter: { parentId?: string | undefined; status?: Status | undefined; afterId?: string | undefined; limit: number }): Promise<OrgUnitRow[]> {
  let q = db.selectFrom('org_units').selectAll().orderBy('id').limit(filter.limit + 1);
  if (filter.parentId) q = q.where('parent_id', '=', filter.parentId);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.afterId) q = q.where('id', '>', filter.afterId);
  return q.execute();
}

export async function setOrgUnitStatus(db: Db | Tx, id: string, status: Status): Promise<OrgUnitRow | undefined> {
  return db
    .updateTable('org_units')
    .set({ status, deactivated_at: status === 'inactive' ? new Date() : null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Active units of a subtree (the whole tree without a path) in tree order, at most `limit`. */
export async function listSubtreeUnits(db: Db, withinPath: string | undefined, limit: number): Promise<OrgUnitRow[]> {
  let q = db.selectFrom('org_units').selectAll().where('status', '=', 'active').orderBy('path').limit(limit);
  if (withinPath) q = q.where('path', 'like', `${withinPath}%`);
  return q.execute();
}
