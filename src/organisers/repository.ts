import type { Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { OrganisersTable, Status } from '../db/types.js';

export type OrganiserRow = Selectable<OrganisersTable> & { org_path: string };

export async function insertOrganiser(db: Db | Tx, row: { id: string; name: string; org_unit_id: string }) {
  return db.insertInto('organisers').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findOrganiser(db: Db | Tx, id: string): Promise<OrganiserRow | undefined> {
  return db
    .selectFrom('organisers as o')
    .innerJoin('org_units as u', 'u.id', 'o.org_unit_id')
    .selectAll('o')
    .select('u.path as org_path')
    .where('o.id', '=', id)
    .executeTakeFirst();
}

export async function listOrganisers(db: Db, filter: { withinPath?: string | undefined; status?: Status | undefined; afterId?: string | undefined; limit: number }): Promise<OrganiserRow[]> {
  let q = db
    .selectFrom('organisers as o')
    .innerJoin('org_units as u', 'u.id', 'o.org_unit_id')
    .selectAll('o')
    .select('u.path as org_path')
    .orderBy('o.id')
    .limit(filter.limit + 1);
  if (filter.withinPath) q = q.where('u.path', 'like', `${filter.withinPath}%`);
  if (filter.status) q = q.where('o.status', '=', filter.status);
  if (filter.afterId) q = q.where('o.id', '>', filter.afterId);
  return q.execute();
}

export async function setOrganiserStatus(db: Db | Tx, id: string, status: Status) {
  return db
    .updateTable('organisers')
    .set({ status, deactivated_at: status === 'inactive' ? new Date() : null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
