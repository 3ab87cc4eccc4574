import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { VolunteerPostKind, VolunteerPostsTable } from '../db/types.js';

/** Volunteer post queries, and the lookups of a volunteer a post needs. */

/** A volunteer as assigning a post needs it: active or not, and where (its unit's path). */
export async function findPostVolunteer(db: Db | Tx, id: string): Promise<{ id: string; status: string; org_path: string } | undefined> {
  return db
    .selectFrom('volunteers as v')
    .innerJoin('org_units as u', 'u.id', 'v.org_unit_id')
    .select(['v.id', 'v.status', 'u.path as org_path'])
    .where('v.id', '=', id)
    .executeTakeFirst();
}

export interface PostRow extends Selectable<VolunteerPostsTable> {
  volunteer_name: string;
  org_unit_name: string;
  org_path: string;
}

function postQuery(db: Db | Tx) {
  return db
    .selectFrom('volunteer_posts as p')
    .innerJoin('volunteers as v', 'v.id', 'p.volunteer_id')
    .innerJoin('org_units as u', 'u.id', 'p.org_unit_id')
    .selectAll('p')
    .select(['v.name as volunteer_name', 'u.name as org_unit_name', 'u.path as org_path']);
}

export async function insertPost(
  db: Db,
  row: { id: string; volunteer_id: string; org_unit_id: string; kind: VolunteerPostKind; assigned_by_role: string; assigned_by_id: string },
): Promise<void> {
  await db.insertInto('volunteer_posts').values(row).execute();
}

export async function findPost(db: Db | Tx, id: string): Promise<PostRow | undefined> {
  return postQuery(db).where('p.id', '=', id).executeTakeFirst();
}

export async function listPosts(
  db: Db,
  filter: { withinPaths: string[] | undefined; volunteerId?: string | undefined; kind?: VolunteerPostKind | undefined; includeEnded: boolean; afterId?: string | undefined; limit: number },
): Promise<PostRow[]> {
  let q = postQuery(db).orderBy('p.id').limit(filter.limit + 1);
  if (filter.withinPaths) q = q.where(withinAny(sql.ref('u.path'), filter.withinPaths));
  if (filter.volunteerId) q = q.where('p.volunteer_id', '=', filter.volunteerId);
  if (filter.kind) q = q.where('p.kind', '=', filter.kind);
  if (!filter.includeEnded) q = q.where('p.ended_at', 'is', null);
  if (filter.afterId) q = q.where('p.id', '>', filter.afterId);
  return q.execute();
}

/** Ends a post still held; undefined when it had already ended (or does not exist). */
export async function endPost(db: Db, id: string, by: { role: string; id: string }): Promise<boolean> {
  const result = await db
    .updateTable('volunteer_posts')
    .set({ ended_at: sql<Date>`now()`, ended_by_role: by.role, ended_by_id: by.id })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The posts the given volunteers hold now, oldest first. */
export async function heldPosts(db: Db | Tx, volunteerIds: string[]): Promise<{ id: string; volunteer_id: string; org_unit_id: string; kind: VolunteerPostKind }[]> {
  if (volunteerIds.length === 0) return [];
  return db
    .selectFrom('volunteer_posts')
    .select(['id', 'volunteer_id', 'org_unit_id', 'kind'])
    .where('volunteer_id', 'in', volunteerIds)
    .where('ended_at', 'is', null)
    .orderBy('id')
    .execute();
}

/** The paths of the units where a volunteer holds a post now. */
export async function postUnitPaths(db: Db | Tx, volunteerId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('volunteer_posts as p')
    .innerJoin('org_units as u', 'u.id', 'p.org_unit_id')
    .select('u.path')
    .distinct()
    .where('p.volunteer_id', '=', volunteerId)
    .where('p.ended_at', 'is', null)
    .execute();
  return rows.map((r) => r.path);
}

export async function holdsPostIn(db: Db | Tx, volunteerId: string, orgUnitId: string): Promise<boolean> {
  const row = await db
    .selectFrom('volunteer_posts')
    .select('id')
    .where('org_unit_id', '=', orgUnitId)
    .where('volunteer_id', '=', volunteerId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

/** `path` lies under one of `prefixes` (materialised paths): a prefix test per prefix. */
export function withinAny(path: RawBuilder<unknown> | ReturnType<typeof sql.ref>, prefixes: string[]) {
  if (prefixes.length === 0) return sql<boolean>`false`;
  return sql<boolean>`(${sql.join(prefixes.map((p) => sql`starts_with(${path}, ${p}::text)`), sql` or `)})`;
}
