import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { DB, Status } from '../db/types.js';

/**
 * The queries organisers and volunteers share. Both are people who belong to one org unit, sign in,
 * and are listed, read and deactivated the same way; their tables have the same columns for all of
 * it, so one query serves both, naming the table.
 */
export type PeopleTable = 'organisers' | 'volunteers';

/** A person with its unit's materialised path, which scope checks need. (`id` is named so code generic over the table can page by it.) */
export type PersonRow<T extends PeopleTable> = Selectable<DB[T]> & { id: string; org_path: string };

export async function findPerson<T extends PeopleTable>(db: Db | Tx, table: T, id: string): Promise<PersonRow<T> | undefined> {
  const result = await sql<PersonRow<T>>`
    select p.*, u.path as org_path
      from ${sql.table(table)} p
      join org_units u on u.id = p.org_unit_id
     where p.id = ${id}`.execute(db);
  return result.rows[0];
}

/**
 * What a person is searched by: part of the name, and, when the words typed could be part of a
 * phone number, those digits within the phone number written any way (spaces, dashes, +86).
 */
export interface PeopleSearch {
  text: string;
  phoneDigits?: string | undefined;
}

/** LIKE's own characters (% _ \) taken literally. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function searchCondition(search: PeopleSearch) {
  const byName = sql`p.name ilike ${`%${likeLiteral(search.text)}%`}`;
  if (!search.phoneDigits) return byName;
  return sql`(${byName} or regexp_replace(coalesce(p.phone, ''), '[^0-9]', '', 'g') like ${`%${search.phoneDigits}%`})`;
}

/** One page of people by id, with one more row than asked for when a next page exists. */
export async function listPeople<T extends PeopleTable>(
  db: Db,
  table: T,
  filter: { withinPath?: string | undefined; status?: Status | undefined; search?: PeopleSearch | undefined; afterId?: string | undefined; limit: number },
): Promise<PersonRow<T>[]> {
  const result = await sql<PersonRow<T>>`
    select p.*, u.path as org_path
      from ${sql.table(table)} p
      join org_units u on u.id = p.org_unit_id
     where ${filter.withinPath ? sql`u.path like ${`${filter.withinPath}%`}` : sql`true`}
       and ${filter.status ? sql`p.status = ${filter.status}` : sql`true`}
       and ${filter.search ? searchCondition(filter.search) : sql`true`}
       and ${filter.afterId ? sql`p.id > ${filter.afterId}` : sql`true`}
     order by p.id
     limit ${filter.limit + 1}`.execute(db);
  return result.rows;
}

export async function setPersonStatus<T extends PeopleTable>(db: Db | Tx, table: T, id: string, status: Status): Promise<Selectable<DB[T]> | undefined> {
  const result = await sql<Selectable<DB[T]>>`
    update ${sql.table(table)}
       set status = ${status}, deactivated_at = ${status === 'inactive' ? new Date() : null}
     where id = ${id}
    returning *`.execute(db);
  return result.rows[0];
}
