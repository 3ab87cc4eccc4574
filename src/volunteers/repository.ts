import { sql } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { PersonRow } from '../people/repository.js';

/** A volunteer with its unit's materialised path; finding, listing and deactivating are shared with organisers (people/). */
export type VolunteerRow = PersonRow<'volunteers'>;

export async function insertVolunteer(db: Db | Tx, row: { id: string; name: string; phone: string | null; org_unit_id: string }) {
  return db.insertInto('volunteers').values(row).returningAll().executeTakeFirstOrThrow();
}

/** What matching a sheet needs to know of a volunteer, without its phone number. */
export interface MatchCandidate {
  id: string;
  name: string;
  status: string;
  org_unit_id: string;
  org_path: string;
  phone_key: string | null;
}

/**
 * Volunteers who could be the people a sheet names: by id, by phone key (phone_key in 0018, the
 * digits of a number written any way) and by exact name, each through an index. Bounded by the
 * sheet's own size; an organiser's scope is judged by the caller.
 */
export async function findMatchCandidates(db: Db, by: { ids: string[]; phoneKeys: string[]; names: string[] }): Promise<MatchCandidate[]> {
  if (by.ids.length === 0 && by.phoneKeys.length === 0 && by.names.length === 0) return [];
  return db
    .selectFrom('volunteers as v')
    .innerJoin('org_units as u', 'u.id', 'v.org_unit_id')
    .select(['v.id', 'v.name', 'v.status', 'v.org_unit_id', 'u.path as org_path', sql<string | null>`phone_key(v.phone)`.as('phone_key')])
    .where((eb) =>
      eb.or([
        ...(by.ids.length > 0 ? [eb('v.id', 'in', by.ids)] : []),
        ...(by.phoneKeys.length > 0 ? [eb.and([eb('v.phone', 'is not', null), eb(sql`phone_key(v.phone)`, 'in', by.phoneKeys)])] : []),
        ...(by.names.length > 0 ? [eb('v.name', 'in', by.names)] : []),
      ]),
    )
    .orderBy('v.id')
    .execute();
}
