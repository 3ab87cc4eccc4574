import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { ActivitiesTable, ActivitySignupsTable, ActivityStatus, PointRuleKind } from '../db/types.js';

export type ActivityRow = Selectable<ActivitiesTable> & {
  org_path: string;
  type_code: string;
  type_name: string;
  rule_version: number;
  rule_kind: PointRuleKind;
  rule_points: number;
};
export type SignupRow = Selectable<ActivitySignupsTable>;

function activityQuery(db: Db | Tx) {
  return db
    .selectFrom('activities as a')
    .innerJoin('org_units as u', 'u.id', 'a.org_unit_id')
    .innerJoin('activity_types as t', 't.id', 'a.activity_type_id')
    .innerJoin('point_rules as r', 'r.id', 'a.point_rule_id')
    .selectAll('a')
    .select(['u.path as org_path', 't.code as type_code', 't.name as type_name', 'r.version as rule_version', 'r.kind as rule_kind', 'r.points as rule_points']);
}

/**
 * An activity with what scope checks and point rules need. `lock` takes the activity row alone:
 * 'update' for writers of its counter or status, 'share' for writers of its records.
 */
export async function findActivity(db: Db | Tx, id: string, lock?: 'update' | 'share'): Promise<ActivityRow | undefined> {
  let q = activityQuery(db).where('a.id', '=', id);
  if (lock === 'update') q = q.forUpdate('a');
  if (lock === 'share') q = q.forShare('a');
  return q.executeTakeFirst();
}

export async function insertActivity(db: Db | Tx, row: Omit<Selectable<ActivitiesTable>, 'signed_up' | 'status' | 'created_at'>): Promise<void> {
  await db.insertInto('activities').values(row).execute();
}

export async function listActivities(
  db: Db,
  filter: { withinPath?: string | undefined; typeCode?: string | undefined; status?: ActivityStatus | undefined; from?: string | undefined; to?: string | undefined; after?: { startsAt: string; id: string } | undefined; limit: number },
): Promise<ActivityRow[]> {
  let q = activityQuery(db).orderBy('a.starts_at').orderBy('a.id').limit(filter.limit + 1);
  if (filter.withinPath) q = q.where('u.path', 'like', `${filter.withinPath}%`);
  if (filter.typeCode) q = q.where('t.code', '=', filter.typeCode);
  if (filter.status) q = q.where('a.status', '=', filter.status);
  if (filter.from) q = q.where('a.starts_at', '>=', new Date(filter.from));
  if (filter.to) q = q.where('a.starts_at', '<', new Date(filter.to));
  if (filter.after) {
    const after = filter.after;
    q = q.where((eb) => eb.or([eb('a.starts_at', '>', new Date(after.startsAt)), eb.and([eb('a.starts_at', '=', new Date(after.startsAt)), eb('a.id', '>', after.id)])]));
  }
  return q.execute();
}

export async function setActivityStatus(db: Tx, id: string, status: ActivityStatus): Promise<void> {
  await db.updateTable('activities').set({ status }).where('id', '=', id).execute();
}

export async function findSignup(db: Db | Tx, activityId: string, volunteerId: string): Promise<SignupRow | undefined> {
  return db.selectFrom('activity_signups').selectAll().where('activity_id', '=', activityId).where('volunteer_id', '=', volunteerId).executeTakeFirst();
}

/** Signs up (or signs up again after withdrawing) and moves the activity's counter, under the activity's lock. */
export async function recordSignup(db: Tx, activityId: string, volunteerId: string): Promise<SignupRow> {
  const row = await db
    .insertInto('activity_signups')
    .values({ activity_id: activityId, volunteer_id: volunteerId, status: 'signed_up' })
    .onConflict((oc) => oc.columns(['activity_id', 'volunteer_id']).doUpdateSet({ status: 'signed_up', signed_up_at: new Date(), withdrawn_at: null }))
    .returningAll()
    .executeTakeFirstOrThrow();
  await db.updateTable('activities').set((eb) => ({ signed_up: eb('signed_up', '+', 1) })).where('id', '=', activityId).execute();
  return row;
}

export async function recordWithdrawal(db: Tx, activityId: string, volunteerId: string): Promise<SignupRow> {
  const row = await db
    .updateTable('activity_signups')
    .set({ status: 'withdrawn', withdrawn_at: new Date() })
    .where('activity_id', '=', activityId)
    .where('volunteer_id', '=', volunteerId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await db.updateTable('activities').set((eb) => ({ signed_up: eb('signed_up', '-', 1) })).where('id', '=', activityId).execute();
  return row;
}

/**
 * An activity's current sign-ups by volunteer id. With `scopePath`, only volunteers whose unit lies
 * under it: an organiser's lists of people never reach past its subtree.
 */
export async function listSignups(db: Db, activityId: string, filter: { afterVolunteerId?: string | undefined; limit: number; scopePath?: string | undefined }): Promise<SignupRow[]> {
  let q = db
    .selectFrom('activity_signups as s')
    .selectAll('s')
    .where('s.activity_id', '=', activityId)
    .where('s.status', '=', 'signed_up')
    .orderBy('s.volunteer_id')
    .limit(filter.limit + 1);
  if (filter.afterVolunteerId) q = q.where('s.volunteer_id', '>', filter.afterVolunteerId);
  const scopePath = filter.scopePath;
  if (scopePath !== undefined) {
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('volunteers as v')
          .innerJoin('org_units as u', 'u.id', 'v.org_unit_id')
          .select(sql`1`.as('one'))
          .whereRef('v.id', '=', 's.volunteer_id')
          .where(sql<boolean>`starts_with(u.path, ${scopePath})`),
      ),
    );
  }
  return q.execute();
}

/** Which of `volunteerIds` are signed up (and have not withdrawn) for the activity. */
export async function signedUpAmong(db: Db | Tx, activityId: string, volunteerIds: string[]): Promise<Set<string>> {
  if (volunteerIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('activity_signups')
    .select('volunteer_id')
    .where('activity_id', '=', activityId)
    .where('status', '=', 'signed_up')
    .where('volunteer_id', 'in', volunteerIds)
    .execute();
  return new Set(rows.map((r) => r.volunteer_id));
}

/** Whether the activity has records that still count or may yet count (anything but rejected). */
export async function hasLiveRecords(db: Tx, activityId: string): Promise<boolean> {
  const row = await db.selectFrom('service_records').select('id').where('activity_id', '=', activityId).where('status', '<>', 'rejected').limit(1).executeTakeFirst();
  return row !== undefined;
}
