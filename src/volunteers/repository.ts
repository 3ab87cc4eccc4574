import type { Db, Tx } from '../db/database.js';
import type { PersonRow } from '../people/repository.js';

/** A volunteer with its unit's materialised path; finding, listing and deactivating are shared with organisers (people/). */
export type VolunteerRow = PersonRow<'volunteers'>;

export async function insertVolunteer(db: Db | Tx, row: { id: string; name: string; phone: string | null; org_unit_id: string }) {
  return db.insertInto('volunteers').values(row).returningAll().executeTakeFirstOrThrow();
}
