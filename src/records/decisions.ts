import type { Actor } from '../auth/actor.js';
import { loadManagedActivity, minutesMax } from '../activities/service.js';
import type { Tx } from '../db/database.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed, type FieldError } from '../errors.js';
import { idempotent, type IdempotencyScope } from '../writes/idempotency.js';
import { withRetry } from '../writes/retry.js';
import { pointsFor } from './points.js';
import {
  addServiceMinutes,
  advanceHeads,
  findRecord,
  findRecordsByIds,
  findVolunteersForBatch,
  insertVersions,
  listVersions,
  lockRecordHeads,
  postCredits,
  type Credit,
  type NewVersion,
} from './repository.js';
import type { CorrectionInput, ServiceRecord } from './schemas.js';
import { batchRefused, beyondHoursScope, toRecord, tooMany } from './service.js';

/**
 * What happens to a record after it is entered: an organiser approves it (and its points are
 * awarded) or rejects it, one at a time or a whole activity's at once, and corrects its minutes or
 * units later by appending a version.
 */

export type Decision = 'approve' | 'reject';

/**
 * Approves or rejects records of one activity (admin, organiser managing it, for the volunteers
 * the scope rule for hours lets it handle there: beyondHoursScope in service.ts). The heads are
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
        const beyond = await recordsBeyondScope(tx, actor, activity.id, [...heads.values()].filter((h) => h.activity_id === activity.id));
        const errors: FieldError[] = [];
        const conflicts: FieldError[] = [];
        const toMove: string[] = [];
        recordIds.forEach((id, i) => {
          const head = heads.get(id);
          const path = activityId ? `recordIds.${i}` : 'id';
          // A record the organiser may not handle reads as one that does not exist, so ids cannot be probed.
          if (!head || head.activity_id !== activity.id || beyond.has(id)) errors.push({ path, message: 'no such record at this activity' });
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

/** The ids of those records (heads at one activity) whose volunteers' hours there the actor may not handle. */
async function recordsBeyondScope(tx: Tx, actor: Actor, activityId: string, heads: { id: string; volunteer_id: string; source: string }[]): Promise<Set<string>> {
  if (actor.role !== 'organiser' || heads.length === 0) return new Set();
  const people = await findVolunteersForBatch(tx, [...new Set(heads.map((h) => h.volunteer_id))]);
  const beyond = await beyondHoursScope(
    tx,
    actor,
    activityId,
    heads.map((h) => ({ id: h.volunteer_id, path: people.get(h.volunteer_id)?.path ?? '', checkedIn: h.source === 'check_in' })),
  );
  return new Set(heads.filter((h) => beyond.has(h.volunteer_id)).map((h) => h.id));
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
 * Corrects a record's minutes and/or units (admin, organiser managing the activity, under the scope
 * rule for hours) by appending a version; nothing is edited. For an approved record the difference in points moves through the
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
        if ((await recordsBeyondScope(tx, actor, activity.id, [head])).size > 0) throw notFound('record');
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
