import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { PointRuleKind, RecordStatus, RecordVersionKind, ServiceRecordVersionsTable, ServiceRecordsTable } from '../db/types.js';
import { randomIssuanceAccount, volunteerAccountId } from '../ledger/accounts.js';
import type { Actor } from '../auth/actor.js';

export type RecordHeadRow = Selectable<ServiceRecordsTable>;
export type VersionRow = Selectable<ServiceRecordVersionsTable>;

/** A record's head joined with its current version, activity and rule: everything a response shows. */
export interface RecordRow extends RecordHeadRow {
  minutes: number;
  units: number;
  points: number;
  activity_title: string;
  org_path: string;
  volunteer_path: string;
  type_code: string;
  rule_version: number;
  rule_kind: PointRuleKind;
  rule_points: number;
}

function recordQuery(db: Db | Tx) {
  return db
    .selectFrom('service_records as s')
    .innerJoin('service_record_versions as v', (join) => join.onRef('v.record_id', '=', 's.id').onRef('v.version', '=', 's.current_version'))
    .innerJoin('activities as a', 'a.id', 's.activity_id')
    .innerJoin('org_units as u', 'u.id', 'a.org_unit_id')
    .innerJoin('volunteers as vol', 'vol.id', 's.volunteer_id')
    .innerJoin('org_units as vu', 'vu.id', 'vol.org_unit_id')
    .innerJoin('activity_types as t', 't.id', 'a.activity_type_id')
    .innerJoin('point_rules as r', 'r.id', 's.point_rule_id')
    .selectAll('s')
    .select([
      'v.minutes',
      'v.units',
      'v.points',
      'a.title as activity_title',
      'u.path as org_path',
      'vu.path as volunteer_path',
      't.code as type_code',
      'r.version as rule_version',
      'r.kind as rule_kind',
      'r.points as rule_points',
    ]);
}

export async function findRecord(db: Db | Tx, id: string): Promise<RecordRow | undefined> {
  return recordQuery(db).where('s.id', '=', id).executeTakeFirst();
}

export async function findRecordsByIds(db: Db | Tx, ids: string[]): Promise<RecordRow[]> {
  if (ids.length === 0) return [];
  return recordQuery(db).where('s.id', 'in', ids).orderBy('s.id').execute();
}

export async function findRecordOf(db: Db | Tx, activityId: string, volunteerId: string): Promise<RecordRow | undefined> {
  return recordQuery(db).where('s.activity_id', '=', activityId).where('s.volunteer_id', '=', volunteerId).executeTakeFirst();
}

/** Locks record heads in id order (the fixed order every writer of records uses) and returns them. */
export async function lockRecordHeads(db: Tx, ids: string[]): Promise<RecordHeadRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('service_records').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

export async function listVersions(db: Db | Tx, recordId: string): Promise<VersionRow[]> {
  return db.selectFrom('service_record_versions').selectAll().where('record_id', '=', recordId).orderBy('version').execute();
}

export async function listRecords(
  db: Db,
  filter: { activityId?: string; volunteerId?: string; status?: RecordStatus | undefined; cursorId?: string | undefined; newestFirst: boolean; limit: number; volunteerScopePath?: string | undefined },
): Promise<RecordRow[]> {
  let q = recordQuery(db).orderBy('s.id', filter.newestFirst ? 'desc' : 'asc').limit(filter.limit + 1);
  if (filter.volunteerScopePath !== undefined) q = q.where(sql<boolean>`starts_with(vu.path, ${filter.volunteerScopePath})`);
  if (filter.activityId) q = q.where('s.activity_id', '=', filter.activityId);
  if (filter.volunteerId) q = q.where('s.volunteer_id', '=', filter.volunteerId);
  if (filter.status) q = q.where('s.status', '=', filter.status);
  if (filter.cursorId) q = q.where('s.id', filter.newestFirst ? '<' : '>', filter.cursorId);
  return q.execute();
}

/** Volunteers by id with their unit's path and status, for checking a batch in one query. */
export async function findVolunteersForBatch(db: Tx, ids: string[]): Promise<Map<string, { status: string; path: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('volunteers as v')
    .innerJoin('org_units as u', 'u.id', 'v.org_unit_id')
    .select(['v.id', 'v.status', 'u.path'])
    .where('v.id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, { status: r.status, path: r.path }]));
}

export async function existingRecordVolunteers(db: Tx, activityId: string, volunteerIds: string[]): Promise<Set<string>> {
  if (volunteerIds.length === 0) return new Set();
  const rows = await db.selectFrom('service_records').select('volunteer_id').where('activity_id', '=', activityId).where('volunteer_id', 'in', volunteerIds).execute();
  return new Set(rows.map((r) => r.volunteer_id));
}

export interface NewHead {
  id: string;
  volunteer_id: string;
}

/** Inserts many record heads in one statement; the rows arrive as one JSON parameter. */
export async function insertHeads(
  db: Tx,
  common: { activityId: string; ruleId: string; source: 'bulk_entry' | 'check_in'; status: RecordStatus; actor: Actor; decided: boolean },
  heads: NewHead[],
): Promise<void> {
  const decidedRole = common.decided ? common.actor.role : null;
  const decidedId = common.decided ? common.actor.id : null;
  await sql`
    insert into service_records (id, activity_id, volunteer_id, point_rule_id, source, status, current_version,
                                 recorded_by_role, recorded_by_id, decided_by_role, decided_by_id, decided_at)
    select x.id, ${common.activityId}::uuid, x.volunteer_id, ${common.ruleId}::uuid, ${common.source}, ${common.status}, 1,
           ${common.actor.role}, ${common.actor.id}, ${decidedRole}::text, ${decidedId}::text, case when ${common.decided} then now() end
      from jsonb_to_recordset(${JSON.stringify(heads)}::text::jsonb) as x(id uuid, volunteer_id uuid)`.execute(db);
}

export interface NewVersion {
  record_id: string;
  version: number;
  kind: RecordVersionKind;
  minutes: number;
  units: number;
  points: number;
  credited: number;
  transaction_id: string | null;
  reason: string | null;
}

/** Appends many versions in one statement. */
export async function insertVersions(db: Tx, actor: Actor, versions: NewVersion[]): Promise<void> {
  if (versions.length === 0) return;
  await sql`
    insert into service_record_versions (record_id, version, kind, minutes, units, points, credited, transaction_id, reason, actor_role, actor_id)
    select x.record_id, x.version, x.kind, x.minutes, x.units, x.points, x.credited, x.transaction_id, x.reason, ${actor.role}, ${actor.id}
      from jsonb_to_recordset(${JSON.stringify(versions)}::text::jsonb)
        as x(record_id uuid, version integer, kind text, minutes integer, units integer, points bigint, credited bigint, transaction_id uuid, reason text)`.execute(db);
}

/** Moves record heads forward: a new current version, and optionally a new status and decision. */
export async function advanceHeads(db: Tx, ids: string[], change: { status?: RecordStatus; decidedBy?: Actor }): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('service_records')
    .set((eb) => ({
      current_version: eb('current_version', '+', 1),
      ...(change.status ? { status: change.status } : {}),
      ...(change.decidedBy ? { decided_by_role: change.decidedBy.role, decided_by_id: change.decidedBy.id, decided_at: sql<Date>`now()` } : {}),
    }))
    .where('id', 'in', ids)
    .execute();
}

/**
 * Adds approved minutes to volunteers' service time. Every caller already holds the volunteers'
 * ledger accounts (locked in id order), so these row updates never wait on one another in a cycle.
 */
export async function addServiceMinutes(db: Tx, deltas: { volunteer_id: string; minutes: number }[]): Promise<void> {
  const moving = deltas.filter((d) => d.minutes !== 0).sort((a, b) => (a.volunteer_id < b.volunteer_id ? -1 : 1));
  if (moving.length === 0) return;
  await sql`
    update volunteers v set service_minutes = v.service_minutes + x.minutes
      from jsonb_to_recordset(${JSON.stringify(moving)}::text::jsonb) as x(volunteer_id uuid, minutes bigint)
     where v.id = x.volunteer_id`.execute(db);
}

export interface Credit {
  recordId: string;
  volunteerId: string;
  /** Positive credits the volunteer; negative takes points back (a downward correction). */
  points: number;
  transactionId: string;
}

/**
 * Posts one ledger transaction per credit through ledger_apply, in one round trip. All touched
 * accounts are locked first in id order, so concurrent batches that share volunteers queue rather
 * than deadlock; one issuance shard serves the whole batch for the same reason.
 */
export async function postCredits(db: Tx, actor: Actor, kind: 'award' | 'correction', memo: string, credits: Credit[]): Promise<void> {
  const moving = credits.filter((c) => c.points !== 0);
  if (moving.length === 0) return;
  const issuance = randomIssuanceAccount();
  const accounts = [...new Set([issuance, ...moving.map((c) => volunteerAccountId(c.volunteerId))])].sort();
  await db.selectFrom('accounts').select('id').where('id', 'in', accounts).orderBy('id').forUpdate().execute();
  const requests = [...moving]
    .sort((a, b) => (a.volunteerId < b.volunteerId ? -1 : a.volunteerId > b.volunteerId ? 1 : 0))
    .map((c) => ({
      transaction: { id: c.transactionId, kind, memo, reference: c.recordId, actorRole: actor.role, actorId: actor.id },
      postings: [
        { account: issuance, amount: -c.points },
        { account: volunteerAccountId(c.volunteerId), amount: c.points },
      ],
    }));
  await sql`select ledger_apply_batch(${JSON.stringify(requests)}::text::jsonb)`.execute(db);
}

/**
 * A volunteer's name and approved service minutes as they stand in this transaction, for a
 * certificate. The row stays locked to the end of the transaction, so two requests for the same
 * volunteer's certificate decide one after the other whether a new one is due.
 */
export async function volunteerServiceNow(tx: Tx, volunteerId: string): Promise<{ name: string; service_minutes: number }> {
  return tx.selectFrom('volunteers').select(['name', 'service_minutes']).where('id', '=', volunteerId).forNoKeyUpdate().executeTakeFirstOrThrow();
}

/** The volunteer's latest certificate, if any. */
export async function latestCertificate(tx: Tx, volunteerId: string): Promise<{ number: number; issued_at: Date; content_digest: string | null } | undefined> {
  return tx
    .selectFrom('certificates')
    .select(['number', 'issued_at', 'content_digest'])
    .where('volunteer_id', '=', volunteerId)
    .orderBy('number', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Registers an issued certificate; its number comes from a sequence and is never reused. */
export async function registerCertificate(
  tx: Tx,
  row: { volunteer_id: string; service_minutes: number; star_level: number; issued_by_role: string; issued_by_id: string; content_digest: string },
): Promise<{ number: number; issued_at: Date }> {
  return tx.insertInto('certificates').values(row).returning(['number', 'issued_at']).executeTakeFirstOrThrow();
}

/** Approved minutes per activity type for one volunteer, for certificates. */
export async function approvedMinutesByType(db: Db | Tx, volunteerId: string): Promise<{ code: string; name: string; minutes: number }[]> {
  return db
    .selectFrom('service_records as s')
    .innerJoin('service_record_versions as v', (join) => join.onRef('v.record_id', '=', 's.id').onRef('v.version', '=', 's.current_version'))
    .innerJoin('activities as a', 'a.id', 's.activity_id')
    .innerJoin('activity_types as t', 't.id', 'a.activity_type_id')
    .select(['t.code', 't.name', sql<number>`sum(v.minutes)::bigint`.as('minutes')])
    .where('s.volunteer_id', '=', volunteerId)
    .where('s.status', '=', 'approved')
    .groupBy(['t.code', 't.name'])
    .orderBy('t.code')
    .execute();
}

export async function recordCheckInFailure(db: Db, activityId: string, volunteerId: string): Promise<void> {
  await db
    .insertInto('check_in_failures')
    .values({ activity_id: activityId, volunteer_id: volunteerId, failures: 1 })
    .onConflict((oc) => oc.columns(['activity_id', 'volunteer_id']).doUpdateSet((eb) => ({ failures: eb('check_in_failures.failures', '+', 1) })))
    .execute();
}

export async function checkInFailures(db: Db, activityId: string, volunteerId: string): Promise<number> {
  const row = await db.selectFrom('check_in_failures').select('failures').where('activity_id', '=', activityId).where('volunteer_id', '=', volunteerId).executeTakeFirst();
  return row?.failures ?? 0;
}
