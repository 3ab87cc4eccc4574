import type { Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { Status, VolunteersTable } from '../db/types.js';

export type VolunteerRow = Selectable<VolunteersTable> & { org_path: string };

export async function insertVolunteer(db: Db | Tx, row: { id: string; name: string; phone: string | null; org_unit_id: string }) {
  return db.insertInto('volunteers').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A volunteer with its unit's materialised path, which scope checks need. */
export async function findVolunteer(db: Db | Tx, id: string): Promise<VolunteerRow | undefined> {
  return db
    .selectFrom('volunteers as v')
    .innerJoin('org_units as u', 'u.id', 'v.org_unit_id')
    .selectAll('v')
    .select('u.path as org_path')
    .where('v.id', '=', id)
    .executeTakeFirst();
}

export async function listVolunteers(db: Db, filter: { withinPath?: string | undefined; status?: Status | undefined; afterId?: string | undefined; limit: number }): Promise<VolunteerRow[]> {
  let q = db
    .selectFrom('volunteers as v')
    .innerJoin('org_units as u', 'u.id', 'v.org_unit_id')
    .selectAll('v')
    .select('u.path as org_path')
    .orderBy('v.id')
    .limit(filter.limit + 1);
  if (filter.withinPath) q = q.where('u.path', 'like', `${filter.withinPath}%`);
  if (filter.status) q = q.where('v.status', '=', filter.status);
  if (filter.afterId) q = q.where('v.id', '>', filter.afterId);
  return q.execute();
}

export async function setVolunteerStatus(db: Db | Tx, id: string, status: Status) {
  return db
    .updateTable('volunteers')
    .set({ status, deactivated_at: status === 'inactive' ? new Date() : null })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
