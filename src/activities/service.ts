import QRCode from 'qrcode';
import { inScope, type Actor } from '../auth/actor.js';
import { checkInCodeAt, checkInCodePeriodSeconds, newCheckInSecret } from './checkincode.js';
import { subtreeFilter } from '../orgunits/scope.js';
import { currentRules, findActivityTypeByCode } from '../activitytypes/repository.js';
import type { Tx } from '../db/database.js';
import { newId, uuidPattern } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { timestampInRange } from '../http/timestamps.js';
import { decodeCursor, decodeIdCursor, pageFrom } from '../http/paging.js';
import { withRetry } from '../writes/retry.js';
import { requireActiveOrgUnit } from '../orgunits/service.js';
import {
  findActivity,
  findSignup,
  hasLiveRecords,
  insertActivity,
  listActivities as listRows,
  listSignups as listSignupRows,
  recordSignup,
  recordWithdrawal,
  setActivityStatus,
  type ActivityRow,
  type SignupRow,
} from './repository.js';
import type { Activity, CreateActivityInput, ListActivitiesInput } from './schemas.js';

/** The most minutes any record at this activity may carry: its length, rounded up to a whole minute. */
export function minutesMax(activity: { starts_at: Date; ends_at: Date }): number {
  return Math.ceil((activity.ends_at.getTime() - activity.starts_at.getTime()) / 60_000);
}

export function toActivity(row: ActivityRow): Activity {
  return {
    id: row.id,
    title: row.title,
    typeCode: row.type_code,
    typeName: row.type_name,
    rule: { id: row.point_rule_id, version: row.rule_version, kind: row.rule_kind, points: row.rule_points },
    orgUnitId: row.org_unit_id,
    startsAt: row.starts_at.toISOString(),
    endsAt: row.ends_at.toISOString(),
    minutesMax: minutesMax(row),
    place: row.place,
    capacity: row.capacity,
    signedUp: row.signed_up,
    status: row.status,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Loads an activity the actor manages: admins manage all, organisers those in their subtree. The
 * catalogue of activities is public, so an organiser asking about another unit's activity is told
 * it is outside their scope (403) rather than that it does not exist.
 */
export async function loadManagedActivity(db: ServiceDeps['db'] | Tx, actor: Actor, id: string, lock?: 'update' | 'share'): Promise<ActivityRow> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers manage activities');
  const activity = await findActivity(db, id, lock);
  if (!activity) throw notFound('activity');
  if (actor.role === 'organiser' && !inScope(actor, activity.org_path)) throw forbidden('that activity is outside your scope');
  return activity;
}

/**
 * Creates an activity in an active org unit (organisers only inside their subtree). The activity
 * takes the type's current rule version and keeps it for life; a fresh secret is drawn for its
 * rotating check-in code.
 */
export async function createActivity(deps: ServiceDeps, actor: Actor, input: CreateActivityInput): Promise<Activity> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers create activities');
  const unit = await requireActiveOrgUnit(deps, input.orgUnitId, 'orgUnitId');
  if (actor.role === 'organiser' && !inScope(actor, unit.path)) throw forbidden('that org unit is outside your scope');
  const type = await findActivityTypeByCode(deps.db, input.typeCode);
  if (!type) throw validationFailed([{ path: 'typeCode', message: 'no such activity type' }]);
  const rule = (await currentRules(deps.db, [type.id])).get(type.id);
  if (!rule) throw new Error(`activity type ${type.id} has no rule`);
  const id = newId();
  await insertActivity(deps.db, {
    id,
    title: input.title,
    activity_type_id: type.id,
    point_rule_id: rule.id,
    org_unit_id: unit.id,
    starts_at: new Date(input.startsAt),
    ends_at: new Date(input.endsAt),
    place: input.place ?? null,
    capacity: input.capacity ?? null,
    check_in_secret: newCheckInSecret(),
    created_by_role: actor.role,
    created_by_id: actor.id,
  });
  const row = await findActivity(deps.db, id);
  if (!row) throw new Error('activity vanished after insert');
  return toActivity(row);
}

/** Activities are the programme's public calendar: every authenticated caller may read them. */
export async function getActivity(deps: ServiceDeps, _actor: Actor, id: string): Promise<Activity> {
  const row = await findActivity(deps.db, id);
  if (!row) throw notFound('activity');
  return toActivity(row);
}

/** Lists activities by start time, then id (keyset paging), filtered by unit subtree, type, status and start range. */
export async function listActivities(deps: ServiceDeps, actor: Actor, query: ListActivitiesInput): Promise<{ items: Activity[]; nextCursor: string | null }> {
  // Everyone may browse the whole calendar, so the unit filter is a plain subtree filter.
  const withinPath = query.orgUnitId ? await subtreeFilter(deps.db, { role: 'admin', id: actor.id }, query.orgUnitId) : undefined;
  let after: { startsAt: string; id: string } | undefined;
  if (query.cursor) {
    const [startsAt, id] = decodeCursor(query.cursor, 2);
    if (typeof startsAt !== 'string' || !timestampInRange(startsAt) || typeof id !== 'string' || !uuidPattern.test(id)) {
      throw validationFailed([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
    }
    after = { startsAt, id };
  }
  const rows = await listRows(deps.db, { withinPath, typeCode: query.typeCode, status: query.status, from: query.from, to: query.to, after, limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.starts_at.toISOString(), r.id]);
  return { items: page.items.map(toActivity), nextCursor: page.nextCursor };
}

/** Closes an open activity: no more sign-ups or check-ins; hours may still be recorded, approved and corrected. */
export async function closeActivity(deps: ServiceDeps, actor: Actor, id: string): Promise<Activity> {
  await withRetry(() =>
    deps.db.transaction().execute(async (tx) => {
      const activity = await loadManagedActivity(tx, actor, id, 'update');
      if (activity.status !== 'open') throw new DomainError('conflict', `the activity is ${activity.status}`);
      await setActivityStatus(tx, id, 'closed');
    }),
  );
  return getActivity(deps, actor, id);
}

/**
 * Cancels an activity. Refused while it has records that count or may count: their points would
 * stand for an activity that did not happen, so those are corrected or rejected first.
 */
export async function cancelActivity(deps: ServiceDeps, actor: Actor, id: string): Promise<Activity> {
  await withRetry(() =>
    deps.db.transaction().execute(async (tx) => {
      const activity = await loadManagedActivity(tx, actor, id, 'update');
      if (activity.status === 'cancelled') throw new DomainError('conflict', 'the activity is already cancelled');
      if (await hasLiveRecords(tx, id)) throw new DomainError('conflict', 'the activity has service records; reject them before cancelling');
      await setActivityStatus(tx, id, 'cancelled');
    }),
  );
  return getActivity(deps, actor, id);
}

/** The wallet's check-in page for an activity and its code: what the check-in QR code holds. */
export function checkInUrl(publicUrl: string, activityId: string, code: string): string {
  return `${publicUrl}/app/wallet/check-in?${new URLSearchParams({ activity: activityId, code })}`;
}

/**
 * The check-in code an organiser shows at the activity right now. It works only while the activity
 * runs and is open: a closed or cancelled activity takes no check-ins, so it has no code to show
 * (409). The code rotates: a screen showing it asks again at `rotatesAt`; the code is still accepted
 * for a short grace after that (activities/checkincode.ts). `url` opens the wallet's check-in page
 * with the code filled in, so a volunteer scanning the QR code with the phone's own camera app lands
 * there.
 */
export async function getCheckInCode(deps: ServiceDeps, actor: Actor, id: string) {
  const activity = await loadManagedActivity(deps.db, actor, id);
  if (activity.status !== 'open') throw new DomainError('conflict', `the activity is ${activity.status}; it takes no check-ins`);
  const now = checkInCodeAt(activity.check_in_secret, Date.now());
  return {
    activityId: activity.id,
    code: now.code,
    url: checkInUrl(deps.config.PUBLIC_URL, activity.id, now.code),
    validFrom: activity.starts_at.toISOString(),
    validUntil: activity.ends_at.toISOString(),
    rotatesAt: now.shownUntil.toISOString(),
    acceptedUntil: now.acceptedUntil.toISOString(),
    rotationSeconds: checkInCodePeriodSeconds,
  };
}

/** The check-in QR code (SVG): the check-in page's address, which any phone camera opens. */
export async function checkInCodeSvg(deps: ServiceDeps, actor: Actor, id: string): Promise<string> {
  const { url } = await getCheckInCode(deps, actor, id);
  return QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
}

function toSignup(row: SignupRow) {
  return {
    activityId: row.activity_id,
    volunteerId: row.volunteer_id,
    status: row.status,
    signedUpAt: row.signed_up_at.toISOString(),
    withdrawnAt: row.withdrawn_at ? row.withdrawn_at.toISOString() : null,
  };
}

/**
 * A volunteer signs up for an open activity that has not ended. Capacity holds under any
 * concurrency: the activity row is locked, the counter checked, then moved, and a CHECK on the
 * table refuses overbooking even so. Signing up twice returns the existing sign-up.
 */
export async function signUp(deps: ServiceDeps, actor: Actor, activityId: string): Promise<{ created: boolean; signup: ReturnType<typeof toSignup> }> {
  if (actor.role !== 'volunteer') throw forbidden('only volunteers sign up, for themselves');
  return withRetry(() =>
    deps.db.transaction().execute(async (tx) => {
      const activity = await findActivity(tx, activityId, 'update');
      if (!activity) throw notFound('activity');
      const existing = await findSignup(tx, activityId, actor.id);
      if (existing?.status === 'signed_up') return { created: false, signup: toSignup(existing) };
      if (activity.status !== 'open') throw new DomainError('conflict', `the activity is ${activity.status}`);
      if (activity.ends_at.getTime() <= Date.now()) throw new DomainError('conflict', 'the activity has ended');
      if (activity.capacity !== null && activity.signed_up >= activity.capacity) {
        throw new DomainError('capacity_reached', `all ${activity.capacity} places are taken`, { capacity: activity.capacity });
      }
      return { created: true, signup: toSignup(await recordSignup(tx, activityId, actor.id)) };
    }),
  );
}

/** A volunteer withdraws before the activity ends, freeing the place. */
export async function withdraw(deps: ServiceDeps, actor: Actor, activityId: string) {
  if (actor.role !== 'volunteer') throw forbidden('only volunteers withdraw, for themselves');
  return withRetry(() =>
    deps.db.transaction().execute(async (tx) => {
      const activity = await findActivity(tx, activityId, 'update');
      if (!activity) throw notFound('activity');
      const existing = await findSignup(tx, activityId, actor.id);
      if (existing?.status !== 'signed_up') throw notFound('sign-up');
      if (activity.ends_at.getTime() <= Date.now()) throw new DomainError('conflict', 'the activity has ended');
      return toSignup(await recordWithdrawal(tx, activityId, actor.id));
    }),
  );
}

/**
 * Who is signed up, by volunteer id (keyset paging); for the activity's managers. A list of people
 * stays inside an organiser's subtree (docs/api.md, "Scope"): volunteers from elsewhere who signed up
 * are not listed, though their hours here may be recorded by id.
 */
export async function listSignups(deps: ServiceDeps, actor: Actor, activityId: string, query: { limit: number; cursor?: string | undefined }) {
  await loadManagedActivity(deps.db, actor, activityId);
  const scopePath = actor.role === 'organiser' ? actor.orgPath : undefined;
  const rows = await listSignupRows(deps.db, activityId, { afterVolunteerId: decodeIdCursor(query.cursor), limit: query.limit, scopePath });
  const page = pageFrom(rows, query.limit, (r) => [r.volunteer_id]);
  return { items: page.items.map(toSignup), nextCursor: page.nextCursor };
}
