import { inScope, type Actor } from '../auth/actor.js';
import { findActivity, type ActivityRow } from '../activities/repository.js';
import { loadManagedActivity, minutesMax } from '../activities/service.js';
import type { Tx } from '../db/database.js';
import { sqlState } from '../db/errors.js';
import type { RecordStatus } from '../db/types.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed, type FieldError } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import { withRetry } from '../writes/retry.js';
import { idempotent, type IdempotencyScope } from '../writes/idempotency.js';
import { loadVisibleVolunteer } from '../volunteers/service.js';
import { pointsFor } from './points.js';
import {
  addServiceMinutes,
  advanceHeads,
  checkInFailures,
  existingRecordVolunteers,
  findRecord,
  findRecordOf,
  findRecordsByIds,
  findVolunteersForBatch,
  insertHeads,
  insertVersions,
  listRecords as listRecordRows,
  listVersions,
  lockRecordHeads,
  postCredits,
  recordCheckInFailure,
  type Credit,
  type NewVersion,
  type RecordRow,
  type VersionRow,
} from './repository.js';
import type { BulkRecordsInput, CorrectionInput, ServiceRecord } from './schemas.js';

/** Wrong check-in codes a volunteer may try at one activity before check-in is refused. */
export const checkInFailuresMax = 10;
/** Field errors listed in one problem document; the rest are counted in the detail. */
const fieldErrorsListedMax = 100;

export interface Recorded {
  id: string;
  volunteerId: string;
  minutes: number;
  units: number;
  points: number;
  transactionId: string | null;
}

function toRecord(row: RecordRow, versions?: VersionRow[]): ServiceRecord {
  return {
    id: row.id,
    activityId: row.activity_id,
    activityTitle: row.activity_title,
    typeCode: row.type_code,
    volunteerId: row.volunteer_id,
    source: row.source,
    status: row.status,
    version: row.current_version,
    minutes: row.minutes,
    units: row.units,
    points: row.points,
    rule: { id: row.point_rule_id, version: row.rule_version, kind: row.rule_kind, points: row.rule_points },
    recordedBy: { role: row.recorded_by_role, id: row.recorded_by_id },
    decidedBy: row.decided_by_role && row.decided_by_id ? { role: row.decided_by_role, id: row.decided_by_id } : null,
    decidedAt: row.decided_at ? row.decided_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    ...(versions
      ? {
          versions: versions.map((v) => ({
            version: v.version,
            kind: v.kind,
            minutes: v.minutes,
            units: v.units,
            points: v.points,
            credited: v.credited,
            transactionId: v.transaction_id,
            reason: v.reason,
            actor: { role: v.actor_role, id: v.actor_id },
            createdAt: v.created_at.toISOString(),
          })),
        }
      : {}),
  };
}

function tooMany(errors: FieldError[]): FieldError[] {
  return errors.slice(0, fieldErrorsListedMax);
}

function batchRefused(errors: FieldError[], what: string): DomainError {
  const first = errors[0]?.path ?? '';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return validationFailed(tooMany(errors), `${what}: ${first}${more}; nothing was written`);
}

/** Hours may be recorded once the activity has begun, unless it was cancelled. */
function assertRecordable(activity: ActivityRow) {
  if (activity.status === 'cancelled') throw new DomainError('conflict', 'the activity is cancelled');
  if (activity.starts_at.getTime() > Date.now()) throw new DomainError('conflict', 'the activity has not started yet');
}

/**
 * Records many volunteers' service at once (admin, organiser managing the activity). All or
 * nothing: every row is checked first (volunteer known, active and in the organiser's subtree, no
 * duplicate, minutes within the activity's length, no existing record) and any failure refuses the
 * whole batch naming each failing row. Then, in the same transaction, each row becomes an approved
 * record whose points are awarded through ledger_apply, and the minutes join the volunteers'
 * service time. Idempotent per caller and key: a retry returns the stored response.
 */
export async function recordBatch(deps: ServiceDeps, actor: Actor, activityId: string, input: BulkRecordsInput, idempotency: IdempotencyScope | undefined) {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers record hours');
  return withRetry(() =>
    deps.db.transaction().execute((tx) =>
      idempotent(tx, idempotency, async () => {
        const activity = await loadManagedActivity(tx, actor, activityId, 'share');
        assertRecordable(activity);
        const cap = minutesMax(activity);
        const volunteerIds = input.records.map((r) => r.volunteerId);
        const volunteers = await findVolunteersForBatch(tx, [...new Set(volunteerIds)]);
        const errors: FieldError[] = [];
        const firstIndex = new Map<string, number>();
        input.records.forEach((row, i) => {
          const volunteer = volunteers.get(row.volunteerId);
          if (!volunteer || (actor.role === 'organiser' && !inScope(actor, volunteer.path))) {
            // The same words for "unknown" and "outside your subtree", so ids cannot be probed.
            errors.push({ path: `records.${i}.volunteerId`, message: 'no such volunteer in your scope' });
          } else if (volunteer.status !== 'active') {
            errors.push({ path: `records.${i}.volunteerId`, message: 'the volunteer is inactive' });
          }
          if (firstIndex.has(row.volunteerId)) errors.push({ path: `records.${i}.volunteerId`, message: `the same volunteer as records.${firstIndex.get(row.volunteerId)}` });
          else firstIndex.set(row.volunteerId, i);
          if (row.minutes > cap) errors.push({ path: `records.${i}.minutes`, message: `at most ${cap} minutes, the activity's length` });
        });
        if (errors.length > 0) throw batchRefused(errors, 'the batch was refused');
        const existing = await existingRecordVolunteers(tx, activityId, volunteerIds);
        if (existing.size > 0) {
          const clashes = input.records.flatMap((row, i) => (existing.has(row.volunteerId) ? [{ path: `records.${i}.volunteerId`, message: 'already has a record for this activity' }] : []));
          throw new DomainError('conflict', `the batch was refused: ${clashes[0]?.path} already has a record for this activity; nothing was written`, { errors: tooMany(clashes) });
        }

        const rows = input.records.map((row) => {
          const units = row.units ?? 0;
          const points = pointsFor({ kind: activity.rule_kind, points: activity.rule_points }, row.minutes, units);
          return { id: newId(), volunteerId: row.volunteerId, minutes: row.minutes, units, points, transactionId: points > 0 ? newId() : null };
        });
        const credits: Credit[] = rows.flatMap((r) => (r.transactionId ? [{ recordId: r.id, volunteerId: r.volunteerId, points: r.points, transactionId: r.transactionId }] : []));
        await postCredits(tx, actor, 'award', activity.title, credits);
        await insertHeadsOnce(tx, 'a volunteer in this batch already has a record for this activity; nothing was written', { activityId, ruleId: activity.point_rule_id, source: 'bulk_entry', status: 'approved', actor, decided: true }, rows.map((r) => ({ id: r.id, volunteer_id: r.volunteerId })));
        await insertVersions(
          tx,
          actor,
          rows.map((r) => ({ record_id: r.id, version: 1, kind: 'recorded', minutes: r.minutes, units: r.units, points: r.points, credited: r.transactionId ? r.points : 0, transaction_id: r.transactionId, reason: null })),
        );
        await addServiceMinutes(tx, rows.map((r) => ({ volunteer_id: r.volunteerId, minutes: r.minutes })));
        const body: { records: Recorded[] } = { records: rows };
        return { status: 201, body };
      }),
    ),
  );
}

/**
 * Checks the code a volunteer typed or scanned. Wrong codes are counted outside any transaction (so
 * the count survives the refusal) and after checkInFailuresMax of them the volunteer is refused.
 */
async function checkCode(deps: ServiceDeps, actor: Actor & { role: 'volunteer' }, activity: ActivityRow, code: string) {
  if ((await checkInFailures(deps.db, activity.id, actor.id)) >= checkInFailuresMax) {
    throw new DomainError('rate_limited', 'too many wrong codes for this activity; ask the organiser to record your hours', {}, 3600);
  }
  if (code !== activity.check_in_code) {
    await recordCheckInFailure(deps.db, activity.id, actor.id);
    throw validationFailed([{ path: 'code', message: 'not the check-in code of this activity' }]);
  }
  const now = Date.now();
  if (activity.status !== 'open' && activity.status !== 'closed') throw new DomainError('conflict', `the activity is ${activity.status}`);
  if (now < activity.starts_at.getTime() || now >= activity.ends_at.getTime()) throw new DomainError('conflict', 'the check-in code is valid only while the activity runs');
}

/**
 * A volunteer checks in at a running, open activity with its code. The record starts as
 * checked_in; one volunteer has at most one record per activity (a unique index decides races).
 */
export async function checkIn(deps: ServiceDeps, actor: Actor, activityId: string, input: { code: string }): Promise<ServiceRecord> {
  if (actor.role !== 'volunteer') throw forbidden('only volunteers check in, for themselves');
  const activity = await findActivity(deps.db, activityId);
  if (!activity) throw notFound('activity');
  await checkCode(deps, actor, activity, input.code);
  if (activity.status !== 'open') throw new DomainError('conflict', 'the activity is closed to check-ins');
  const id = newId();
  await withRetry(() =>
      deps.db.transaction().execute(async (tx) => {
        const locked = await findActivity(tx, activityId, 'share');
        if (locked?.status !== 'open') throw new DomainError('conflict', 'the activity is closed to check-ins');
        await insertHeadsOnce(tx, 'you already have a record for this activity', { activityId, ruleId: activity.point_rule_id, source: 'check_in', status: 'checked_in', actor, decided: false }, [{ id, volunteer_id: actor.id }]);
        await insertVersions(tx, actor, [{ record_id: id, version: 1, kind: 'checked_in', minutes: 0, units: 0, points: 0, credited: 0, transaction_id: null, reason: null }]);
      }),
  );
  return readRecord(deps, id);
}

/**
 * A volunteer checks out with the same code while the activity runs. The minutes are the time
 * between check-in and now, clipped to the activity's window; the record waits for an organiser's
 * approval and counts for nothing until then.
 */
export async function checkOut(deps: ServiceDeps, actor: Actor, activityId: string, input: { code: string; units?: number | undefined }): Promise<ServiceRecord> {
  if (actor.role !== 'volunteer') throw forbidden('only volunteers check out, for themselves');
  const activity = await findActivity(deps.db, activityId);
  if (!activity) throw notFound('activity');
  await checkCode(deps, actor, activity, input.code);
  const existing = await findRecordOf(deps.db, activityId, actor.id);
  if (!existing) throw notFound('check-in');
  await withRetry(() =>
    deps.db.transaction().execute(async (tx) => {
      const [head] = await lockRecordHeads(tx, [existing.id]);
      if (head?.status !== 'checked_in') throw new DomainError('conflict', 'you are not checked in at this activity');
      const [checkedIn] = await listVersions(tx, existing.id);
      const from = Math.max(checkedIn?.created_at.getTime() ?? Date.now(), activity.starts_at.getTime());
      const until = Math.min(Date.now(), activity.ends_at.getTime());
      const minutes = Math.min(Math.max(0, Math.floor((until - from) / 60_000)), minutesMax(activity));
      const units = input.units ?? 0;
      const points = pointsFor({ kind: activity.rule_kind, points: activity.rule_points }, minutes, units);
      await insertVersions(tx, actor, [{ record_id: head.id, version: head.current_version + 1, kind: 'checked_out', minutes, units, points, credited: 0, transaction_id: null, reason: null }]);
      await advanceHeads(tx, [head.id], { status: 'pending' });
    }),
  );
  return readRecord(deps, existing.id);
}

type Decision = 'approve' | 'reject';

/**
 * Approves or rejects records of one activity (admin, organiser managing it). The heads are
 * locked in id order, so concurrent decisions about the same record serialise: the first moves it,
 * the others find it already decided. Approval credits each pending record exactly once (a unique
 * index on its credited version backs this) and adds its minutes to the volunteer's service time;
 * rejection credits nothing. Deciding a record the same way again changes nothing; deciding it the
 * other way is a conflict. All or nothing.
 */
async function decide(deps: ServiceDeps, actor: Actor, activityId: string | undefined, recordIds: string[], decision: Decision, reason: string | undefined, idempotency: IdempotencyScope | undefined) {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers decide on records');
  const outcome = await withRetry(() =>
    deps.db.transaction().execute((tx) =>
      idempotent(tx, idempotency, async () => {
        const heads = new Map((await lockRecordHeads(tx, [...new Set(recordIds)])).map((h) => [h.id, h]));
        const targetActivity = activityId ?? heads.get(recordIds[0] ?? '')?.activity_id;
        if (!targetActivity) throw notFound('record');
        const activity = await loadManagedActivity(tx, actor, targetActivity, 'share');
        const errors: FieldError[] = [];
        const conflicts: FieldError[] = [];
        const toMove: string[] = [];
        recordIds.forEach((id, i) => {
          const head = heads.get(id);
          const path = activityId ? `recordIds.${i}` : 'id';
          if (!head || head.activity_id !== activity.id) errors.push({ path, message: 'no such record at this activity' });
          else if (decision === 'approve' && head.status === 'approved') return;
          else if (decision === 'reject' && head.status === 'rejected') return;
          else if (decision === 'approve' && head.status !== 'pending') conflicts.push({ path, message: `a ${head.status} record cannot be approved` });
          else if (decision === 'reject' && head.status === 'approved') conflicts.push({ path, message: 'an approved record cannot be rejected; correct it instead' });
          else if (!toMove.includes(id)) toMove.push(id);
        });
        if (errors.length > 0) {
          if (!activityId) throw notFound('record');
          throw batchRefused(errors, 'the decision was refused');
        }
        if (conflicts.length > 0) throw new DomainError('conflict', `the decision was refused: ${conflicts[0]?.path}: ${conflicts[0]?.message}; nothing was written`, { errors: tooMany(conflicts) });

        const current = new Map((await findRecordsByIds(tx, toMove)).map((r) => [r.id, r]));
        if (decision === 'approve') {
          // Points go only to active volunteers, as with every award.
          const people = await findVolunteersForBatch(tx, [...new Set([...current.values()].map((r) => r.volunteer_id))]);
          const inactive = recordIds.flatMap((id, i) => {
            const row = current.get(id);
            return row && people.get(row.volunteer_id)?.status !== 'active' ? [{ path: activityId ? `recordIds.${i}` : 'id', message: 'the volunteer is inactive' }] : [];
          });
          if (inactive.length > 0) throw new DomainError('inactive', `the decision was refused: ${inactive[0]?.path}: the volunteer is inactive; nothing was written`, { errors: tooMany(inactive) });
        }
        const versions: NewVersion[] = [];
        const credits: Credit[] = [];
        for (const id of toMove) {
          const row = current.get(id);
          if (!row) throw new Error(`record ${id} vanished under its lock`);
          const transactionId = decision === 'approve' && row.points > 0 ? newId() : null;
          if (transactionId) credits.push({ recordId: id, volunteerId: row.volunteer_id, points: row.points, transactionId });
          versions.push({
            record_id: id,
            version: row.current_version + 1,
            kind: decision === 'approve' ? 'approved' : 'rejected',
            minutes: row.minutes,
            units: row.units,
            points: row.points,
            credited: transactionId ? row.points : 0,
            transaction_id: transactionId,
            reason: reason ?? null,
          });
        }
        await postCredits(tx, actor, 'award', activity.title, credits);
        await insertVersions(tx, actor, versions);
        await advanceHeads(tx, toMove, { status: decision === 'approve' ? 'approved' : 'rejected', decidedBy: actor });
        if (decision === 'approve') await addServiceMinutes(tx, toMove.map((id) => ({ volunteer_id: current.get(id)?.volunteer_id ?? '', minutes: current.get(id)?.minutes ?? 0 })));
        const after = await findRecordsByIds(tx, [...new Set(recordIds)]);
        const byId = new Map(after.map((r) => [r.id, toRecord(r)]));
        return { status: 200, body: { records: recordIds.map((id) => byId.get(id)).filter((r): r is ServiceRecord => r !== undefined) } };
      }),
    ),
  );
  return outcome;
}

export async function decideOne(deps: ServiceDeps, actor: Actor, recordId: string, decision: Decision, input: { reason?: string | undefined }, idempotency: IdempotencyScope | undefined) {
  const outcome = await decide(deps, actor, undefined, [recordId], decision, input.reason, idempotency);
  const record = outcome.body.records[0];
  if (!record) throw notFound('record');
  return { replayed: outcome.replayed, body: record };
}

export async function decideMany(deps: ServiceDeps, actor: Actor, activityId: string, decision: Decision, input: { recordIds: string[]; reason?: string | undefined }, idempotency: IdempotencyScope | undefined) {
  return decide(deps, actor, activityId, input.recordIds, decision, input.reason, idempotency);
}

/**
 * Corrects a record's minutes and/or units (admin, organiser managing the activity) by appending
 * a version; nothing is edited. For an approved record the difference in points moves through the
 * ledger as a correction transaction (refused with insufficient_points if the volunteer has already
 * spent what would be taken back) and the difference in minutes moves the service time, in the same
 * transaction. A pending or checked-in record is corrected without touching the ledger; a rejected
 * one cannot be corrected.
 */
export async function correctRecord(deps: ServiceDeps, actor: Actor, recordId: string, input: CorrectionInput, idempotency: IdempotencyScope | undefined) {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers correct records');
  return withRetry(() =>
    deps.db.transaction().execute((tx) =>
      idempotent(tx, idempotency, async () => {
        const [head] = await lockRecordHeads(tx, [recordId]);
        if (!head) throw notFound('record');
        const activity = await loadManagedActivity(tx, actor, head.activity_id, 'share');
        if (head.status === 'rejected') throw new DomainError('conflict', 'a rejected record cannot be corrected');
        const row = await findRecord(tx, recordId);
        if (!row) throw notFound('record');
        const minutes = input.minutes ?? row.minutes;
        const units = input.units ?? row.units;
        const cap = minutesMax(activity);
        if (minutes > cap) throw validationFailed([{ path: 'minutes', message: `at most ${cap} minutes, the activity's length` }]);
        if (minutes === row.minutes && units === row.units) throw validationFailed([{ path: 'minutes', message: 'the correction changes nothing' }]);
        const points = pointsFor({ kind: activity.rule_kind, points: activity.rule_points }, minutes, units);
        const counts = head.status === 'approved';
        const delta = counts ? points - row.points : 0;
        const transactionId = delta !== 0 ? newId() : null;
        if (transactionId) await postCredits(tx, actor, 'correction', input.reason, [{ recordId, volunteerId: head.volunteer_id, points: delta, transactionId }]);
        await insertVersions(tx, actor, [{ record_id: recordId, version: head.current_version + 1, kind: 'corrected', minutes, units, points, credited: delta, transaction_id: transactionId, reason: input.reason }]);
        await advanceHeads(tx, [recordId], head.status === 'checked_in' ? { status: 'pending' } : {});
        if (counts) await addServiceMinutes(tx, [{ volunteer_id: head.volunteer_id, minutes: minutes - row.minutes }]);
        const after = await findRecord(tx, recordId);
        if (!after) throw notFound('record');
        return { status: 201, body: toRecord(after, await listVersions(tx, recordId)) };
      }),
    ),
  );
}

async function readRecord(deps: ServiceDeps, id: string): Promise<ServiceRecord> {
  const row = await findRecord(deps.db, id);
  if (!row) throw notFound('record');
  return toRecord(row, await listVersions(deps.db, id));
}

/**
 * One record with its full history. Visible to its volunteer, to organisers whose subtree holds
 * the activity or the volunteer, and to admins; to anyone else it does not exist.
 */
export async function getRecord(deps: ServiceDeps, actor: Actor, id: string): Promise<ServiceRecord> {
  if (actor.role === 'merchant') throw forbidden('merchants cannot read service records');
  const row = await findRecord(deps.db, id);
  if (!row) throw notFound('record');
  if (actor.role === 'volunteer' && actor.id !== row.volunteer_id) throw notFound('record');
  if (actor.role === 'organiser' && !inScope(actor, row.org_path) && !inScope(actor, row.volunteer_path)) throw notFound('record');
  return toRecord(row, await listVersions(deps.db, id));
}

/** An activity's records by id (keyset paging), optionally by status; for its managers. */
export async function listActivityRecords(deps: ServiceDeps, actor: Actor, activityId: string, query: { status?: RecordStatus | undefined; limit: number; cursor?: string | undefined }) {
  await loadManagedActivity(deps.db, actor, activityId);
  const rows = await listRecordRows(deps.db, { activityId, status: query.status, cursorId: decodeIdCursor(query.cursor), newestFirst: false, limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map((r) => toRecord(r)), nextCursor: page.nextCursor };
}

/** A volunteer's service history, newest first; the same visibility as the volunteer's balance. */
export async function listVolunteerRecords(deps: ServiceDeps, actor: Actor, volunteerId: string, query: { status?: RecordStatus | undefined; limit: number; cursor?: string | undefined }) {
  await loadVisibleVolunteer(deps, actor, volunteerId);
  const rows = await listRecordRows(deps.db, { volunteerId, status: query.status, cursorId: decodeIdCursor(query.cursor), newestFirst: true, limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map((r) => toRecord(r)), nextCursor: page.nextCursor };
}

/** Inserts record heads, turning a lost race for the one-record-per-volunteer slot into a conflict. */
async function insertHeadsOnce(tx: Tx, detail: string, ...args: Parameters<typeof insertHeads> extends [Tx, ...infer Rest] ? Rest : never) {
  try {
    await insertHeads(tx, ...args);
  } catch (error) {
    if (sqlState(error) === '23505') throw new DomainError('conflict', detail);
    throw error;
  }
}
