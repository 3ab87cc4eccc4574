import type { Actor } from '../auth/actor.js';
import { findActivity, type ActivityRow } from '../activities/repository.js';
import { loadManagedActivity, minutesMax } from '../activities/service.js';
import type { Tx } from '../db/database.js';
import { sqlState } from '../db/errors.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed, type FieldError } from '../errors.js';
import { idempotent, type IdempotencyScope } from '../writes/idempotency.js';
import { withRetry } from '../writes/retry.js';
import { pointsFor } from './points.js';
import {
  addServiceMinutes,
  advanceHeads,
  checkInFailures,
  existingRecordVolunteers,
  findRecordOf,
  findVolunteersForBatch,
  insertHeads,
  insertVersions,
  listVersions,
  lockRecordHeads,
  postCredits,
  recordCheckInFailure,
  type Credit,
} from './repository.js';
import type { BulkRecordsInput, ServiceRecord } from './schemas.js';
import { batchRefused, beyondHoursScope, readRecord, tooMany } from './service.js';

/**
 * Entering service hours: an organiser's bulk entry (approved and awarded at once), and a
 * volunteer's check-in and check-out with the activity's code (pending an organiser's decision).
 */

/** Wrong check-in codes a volunteer may try at one activity before check-in is refused. */
export const checkInFailuresMax = 10;

export interface Recorded {
  id: string;
  volunteerId: string;
  minutes: number;
  units: number;
  points: number;
  transactionId: string | null;
}

/** Hours may be recorded once the activity has begun, unless it was cancelled. */
function assertRecordable(activity: ActivityRow) {
  if (activity.status === 'cancelled') throw new DomainError('conflict', 'the activity is cancelled');
  if (activity.starts_at.getTime() > Date.now()) throw new DomainError('conflict', 'the activity has not started yet');
}

/**
 * Records many volunteers' service at once (admin, organiser managing the activity). All or
 * nothing: every row is checked first (volunteer known, active, and in the organiser's subtree or
 * signed up for this activity (beyondHoursScope), no duplicate, minutes within the activity's length, no existing record) and any failure refuses the
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
        const beyond = await beyondHoursScope(tx, actor, activityId, [...volunteers].map(([id, v]) => ({ id, path: v.path, checkedIn: false })));
        const errors: FieldError[] = [];
        const firstIndex = new Map<string, number>();
        input.records.forEach((row, i) => {
          const volunteer = volunteers.get(row.volunteerId);
          if (!volunteer || beyond.has(row.volunteerId)) {
            // The same words for "unknown" and "out of reach", so ids cannot be probed.
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

/** Inserts record heads, turning a lost race for the one-record-per-volunteer slot into a conflict. */
async function insertHeadsOnce(tx: Tx, detail: string, ...args: Parameters<typeof insertHeads> extends [Tx, ...infer Rest] ? Rest : never) {
  try {
    await insertHeads(tx, ...args);
  } catch (error) {
    if (sqlState(error) === '23505') throw new DomainError('conflict', detail);
    throw error;
  }
}
