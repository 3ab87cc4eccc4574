import type { Db, Tx } from '../db/database.js';

// Finding, listing and deactivating organisers are shared with volunteers (people/repository.ts).

export async function insertOrganiser(db: Db | Tx, row: { id: string; name: string; org_unit_id: string }) {
  return db.insertInto('organisers').values(row).returningAll().executeTakeFirstOrThrow();
}
