import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { VolunteerPostKind, WishCategoriesTable, WishEventsTable, WishesTable, WishStatus } from '../db/types.js';
import { withinAny } from '../posts/repository.js';

/**
 * Wish and category queries. Every moment a statement compares with ("now") is the
 * database's clock, unless a script passes `at` (the demo programme seeds a past season): then that
 * moment stands in for now(), for every comparison and every timestamp the statement writes.
 */

/** now(), or the moment a script asked for. */
export function clock(at: Date | undefined): RawBuilder<Date> {
  return at ? sql<Date>`${at.toISOString()}::timestamptz` : sql<Date>`now()`;
}

// ------------------------------------------------------------------------------------------------
// Categories

export type CategoryRow = Selectable<WishCategoriesTable>;

/**
 * Creates a category, or sets the name and points of the one with this code (a category is known
 * by its code). `created` tells which; the row lock of the update orders it with confirmations.
 */
export async function upsertCategory(db: Db, row: { id: string; code: string; name: string; points: number; created_by: string }): Promise<CategoryRow & { created: boolean }> {
  return db
    .insertInto('wish_categories')
    .values(row)
    .onConflict((oc) => oc.column('code').doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), points: eb.ref('excluded.points'), updated_at: sql<Date>`now()` })))
    .returningAll()
    .returning(sql<boolean>`(xmax = 0)`.as('created'))
    .executeTakeFirstOrThrow();
}

export async function findCategoryByCode(db: Db | Tx, code: string): Promise<CategoryRow | undefined> {
  return db.selectFrom('wish_categories').selectAll().where('code', '=', code).executeTakeFirst();
}

/**
 * A category under a share lock: a confirmation reads the points it awards this way, so a change
 * of points waits until the award is committed and the award is exactly "the points at confirmation".
 */
export async function shareCategory(tx: Tx, id: string): Promise<CategoryRow | undefined> {
  return tx.selectFrom('wish_categories').selectAll().where('id', '=', id).forShare().executeTakeFirst();
}

export async function listCategories(db: Db, filter: { status?: 'active' | 'retired' | undefined; afterCode?: string | undefined; limit: number }): Promise<CategoryRow[]> {
  let q = db.selectFrom('wish_categories').selectAll().orderBy('code').limit(filter.limit + 1);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.afterCode) q = q.where('code', '>', filter.afterCode);
  return q.execute();
}

export async function updateCategory(db: Db, code: string, change: { name?: string | undefined; points?: number | undefined; status?: 'active' | 'retired' | undefined }): Promise<CategoryRow | undefined> {
  return db
    .updateTable('wish_categories')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.points !== undefined ? { points: change.points } : {}),
      ...(change.status !== undefined ? { status: change.status } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('code', '=', code)
    .returningAll()
    .executeTakeFirst();
}

// ------------------------------------------------------------------------------------------------
// Wishes

/** A wish with what every answer about it shows: its unit's path, its category, who posted it. */
export interface WishRow extends Selectable<WishesTable> {
  org_path: string;
  category_code: string;
  category_name: string;
  category_points: number;
  /** The name and phone of the volunteer who posted it for itself (personal data: shown only to those entitled). */
  poster_name: string | null;
  poster_phone: string | null;
  /** Open, but its neededBy has passed: it reads as expired even before the sweeper runs. */
  expired_now: boolean;
  /** The post-holder window is still running. */
  window_open: boolean;
}

function wishQuery(db: Db | Tx, at: Date | undefined) {
  const now = clock(at);
  return db
    .selectFrom('wishes as w')
    .innerJoin('org_units as u', 'u.id', 'w.org_unit_id')
    .innerJoin('wish_categories as c', 'c.id', 'w.category_id')
    .leftJoin('volunteers as pv', 'pv.id', 'w.poster_volunteer_id')
    .selectAll('w')
    .select([
      'u.path as org_path',
      'c.code as category_code',
      'c.name as category_name',
      'c.points as category_points',
      'pv.name as poster_name',
      'pv.phone as poster_phone',
      sql<boolean>`(w.status = 'open' and w.needed_by is not null and w.needed_by <= ${now})`.as('expired_now'),
      sql<boolean>`coalesce(w.priority_until > ${now}, false)`.as('window_open'),
    ]);
}

export async function findWish(db: Db | Tx, id: string, at?: Date): Promise<WishRow | undefined> {
  return wishQuery(db, at).where('w.id', '=', id).executeTakeFirst();
}

/** Locks the wish row (only it: the unit, category and poster rows are read, not locked). */
export async function lockWish(tx: Tx, id: string, at?: Date): Promise<WishRow | undefined> {
  return wishQuery(tx, at).where('w.id', '=', id).forUpdate('w').executeTakeFirst();
}

/** The condition for a wish's state as it reads now: an open wish past its neededBy reads as expired. */
function effectiveStatus(status: WishStatus, now: RawBuilder<Date>) {
  if (status === 'open') return sql<boolean>`(w.status = 'open' and (w.needed_by is null or w.needed_by > ${now}))`;
  if (status === 'expired') return sql<boolean>`(w.status = 'expired' or (w.status = 'open' and w.needed_by <= ${now}))`;
  return sql<boolean>`w.status = ${status}`;
}

export interface WishFilter {
  /** Only wishes under this path (an org unit's subtree). */
  withinPath?: string | undefined;
  status?: WishStatus | undefined;
  categoryId?: string | undefined;
  postedBy?: { role: string; id: string } | undefined;
  takerId?: string | undefined;
  /**
   * For a volunteer: the wishes it may see are the open ones under one of these paths, plus those
   * it posted or has taken.
   */
  volunteer?: { id: string; paths: string[] } | undefined;
  beforeId?: string | undefined;
  limit: number;
}

/** Wishes newest first (ids are UUIDv7, so by posting order), limit + 1 rows for paging. */
export async function listWishRows(db: Db, filter: WishFilter, at?: Date): Promise<WishRow[]> {
  const now = clock(at);
  let q = wishQuery(db, at).orderBy('w.id', 'desc').limit(filter.limit + 1);
  if (filter.withinPath) q = q.where(sql<boolean>`starts_with(u.path, ${filter.withinPath}::text)`);
  if (filter.status) q = q.where(effectiveStatus(filter.status, now));
  if (filter.categoryId) q = q.where('w.category_id', '=', filter.categoryId);
  if (filter.postedBy) q = q.where('w.posted_by_role', '=', filter.postedBy.role).where('w.posted_by_id', '=', filter.postedBy.id);
  if (filter.takerId) q = q.where('w.taker_id', '=', filter.takerId);
  if (filter.volunteer) {
    const v = filter.volunteer;
    q = q.where(
      sql<boolean>`((${effectiveStatus('open', now)} and ${withinAny(sql.ref('u.path'), v.paths)}) or w.poster_volunteer_id = ${v.id}::uuid or w.taker_id = ${v.id}::uuid)`,
    );
  }
  if (filter.beforeId) q = q.where('w.id', '<', filter.beforeId);
  return q.execute();
}

export interface NewWish {
  id: string;
  org_unit_id: string;
  category_id: string;
  title: string;
  details: string | null;
  needed_by: string | null;
  posted_by_role: string;
  posted_by_id: string;
  poster_volunteer_id: string | null;
  on_behalf_name: string | null;
  on_behalf_contact: string | null;
}

/**
 * Inserts a wish and the first row of its history. When an active volunteer other than the poster
 * holds a post in the wish's unit, the wish is offered to the post holders alone for
 * `postHolderMinutes` (0: never).
 */
export async function insertWish(tx: Tx, wish: NewWish, postHolderMinutes: number, at: Date | undefined): Promise<void> {
  const now = clock(at);
  const window =
    postHolderMinutes > 0
      ? sql<Date | null>`case when exists (
          select 1 from volunteer_posts p join volunteers v on v.id = p.volunteer_id and v.status = 'active'
           where p.org_unit_id = ${wish.org_unit_id}::uuid and p.ended_at is null
             and p.volunteer_id is distinct from ${wish.poster_volunteer_id}::uuid
        ) then ${now} + make_interval(mins => ${postHolderMinutes}) end`
      : sql<Date | null>`null`;
  await tx
    .insertInto('wishes')
    .values({ ...wish, priority_until: window, created_at: now, updated_at: now })
    .execute();
  await tx
    .insertInto('wish_events')
    .values({ wish_id: wish.id, version: 1, from_status: null, to_status: 'open', actor_role: wish.posted_by_role, actor_id: wish.posted_by_id, created_at: now })
    .execute();
}

export interface WishMove {
  to: WishStatus;
  actor: { role: string; id: string };
  note?: string | null | undefined;
  /** For taken: the new taker. For open (a release): the taker letting go, for the history. */
  takerId?: string | null | undefined;
  /** For confirmed: the award and its points. */
  award?: { transactionId: string; points: number } | undefined;
}

/**
 * Moves a locked wish to its next state and appends the history row for it, in the caller's
 * transaction. The database refuses any move that is not one of the allowed transitions.
 */
export async function moveWish(tx: Tx, row: WishRow, move: WishMove, at: Date | undefined): Promise<void> {
  const now = clock(at);
  const version = row.version + 1;
  const final = move.to === 'confirmed' || move.to === 'cancelled' || move.to === 'expired';
  await tx
    .updateTable('wishes')
    .set({
      status: move.to,
      version,
      updated_at: now,
      ...(move.to === 'taken' ? { taker_id: move.takerId ?? null, taken_at: now, first_taken_at: sql<Date>`coalesce(first_taken_at, ${now})` } : {}),
      ...(move.to === 'open' ? { taker_id: null, taken_at: null } : {}),
      ...(move.to === 'done' ? { done_at: now } : {}),
      ...(final ? { closed_at: now } : {}),
      ...(move.award ? { award_transaction_id: move.award.transactionId, points_awarded: move.award.points } : {}),
    })
    .where('id', '=', row.id)
    .execute();
  await tx
    .insertInto('wish_events')
    .values({
      wish_id: row.id,
      version,
      from_status: row.status,
      to_status: move.to,
      taker_id: move.takerId ?? null,
      note: move.note ?? null,
      transaction_id: move.award?.transactionId ?? null,
      actor_role: move.actor.role,
      actor_id: move.actor.id,
      created_at: now,
    })
    .execute();
}

export type EventRow = Selectable<WishEventsTable>;

export async function listEvents(db: Db | Tx, wishId: string): Promise<EventRow[]> {
  return db.selectFrom('wish_events').selectAll().where('wish_id', '=', wishId).orderBy('version').execute();
}

/**
 * Expires up to `batchMax` open wishes past their neededBy in one statement: the oldest due first,
 * each locked with SKIP LOCKED, so several instances sweep side by side without waiting on each
 * other or expiring a wish twice, and a wish someone is taking right now is left to that request.
 * Each expiry appends its history row in the same statement. Returns how many expired.
 */
export async function expireDue(db: Db, batchMax: number): Promise<number> {
  const result = await sql<{ n: number }>`
    with due as (
      select id from wishes
       where status = 'open' and needed_by is not null and needed_by <= now()
       order by needed_by, id
       limit ${batchMax}
         for update skip locked
    ), moved as (
      update wishes w
         set status = 'expired', version = w.version + 1, closed_at = now(), updated_at = now()
        from due
       where w.id = due.id and w.status = 'open'
      returning w.id, w.version
    ), history as (
      insert into wish_events (wish_id, version, from_status, to_status, actor_role, actor_id)
      select id, version, 'open', 'expired', 'system', 'wish-expiry' from moved
      returning 1
    )
    select count(*)::bigint as n from history`.execute(db);
  return result.rows[0]?.n ?? 0;
}

// ------------------------------------------------------------------------------------------------
// The desk and the wall

/** A volunteer an organiser might give a wish to, with the post it holds in the wish's unit, if any. */
export interface CandidateRow {
  id: string;
  name: string;
  phone: string | null;
  unit_name: string;
  post_kind: VolunteerPostKind | null;
}

/**
 * Active volunteers under every one of `withinPaths` (the wish's community and the organiser's
 * subtree), except `excludeId` (the poster), whose name or phone holds `text` when given; the
 * post holders of `unitId` first, then by name. `strpos` rather than LIKE: what people type is
 * matched as typed, never as a pattern.
 */
export async function listTakerCandidates(db: Db, q: { withinPaths: string[]; unitId: string; excludeId: string | null; text: string | undefined; limit: number }): Promise<CandidateRow[]> {
  let query = db
    .selectFrom('volunteers as v')
    .innerJoin('org_units as u', 'u.id', 'v.org_unit_id')
    .select([
      'v.id',
      'v.name',
      'v.phone',
      'u.name as unit_name',
      sql<VolunteerPostKind | null>`(select p.kind from volunteer_posts p where p.volunteer_id = v.id and p.org_unit_id = ${q.unitId}::uuid and p.ended_at is null order by p.kind limit 1)`.as('post_kind'),
    ])
    .where('v.status', '=', 'active');
  for (const path of q.withinPaths) query = query.where(sql<boolean>`starts_with(u.path, ${path}::text)`);
  if (q.excludeId) query = query.where('v.id', '<>', q.excludeId);
  if (q.text) query = query.where(sql<boolean>`(strpos(lower(v.name), lower(${q.text})) > 0 or strpos(coalesce(v.phone, ''), ${q.text}) > 0)`);
  const holdsNoPost = sql`not exists (select 1 from volunteer_posts p where p.volunteer_id = v.id and p.org_unit_id = ${q.unitId}::uuid and p.ended_at is null)`;
  return query.orderBy(holdsNoPost).orderBy('v.name').orderBy('v.id').limit(q.limit).execute();
}

/** Active org units under a path, in tree order: where a wish may be posted. */
export async function listActiveUnitsUnder(db: Db, path: string | undefined, limit: number): Promise<{ id: string; name: string; path: string }[]> {
  let query = db.selectFrom('org_units').select(['id', 'name', 'path']).where('status', '=', 'active');
  if (path) query = query.where(sql<boolean>`starts_with(path, ${path}::text)`);
  return query.orderBy('path').limit(limit).execute();
}
