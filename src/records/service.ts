import { inScope, type Actor } from '../auth/actor.js';
import { signedUpAmong } from '../activities/repository.js';
import { loadManagedActivity } from '../activities/service.js';
import type { Db, Tx } from '../db/database.js';
import type { RecordStatus } from '../db/types.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed, type FieldError } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import { loadVisibleVolunteer } from '../volunteers/service.js';
import { findRecord, listRecords as listRecordRows, listVersions, type RecordRow, type VersionRow } from './repository.js';
import type { ServiceRecord } from './schemas.js';

/**
 * Service records: how a record reads (its response shape and history) and who may read it. Entering
 * hours (bulk entry, check-in and check-out) is in entry.ts; deciding on and correcting records is in
 * decisions.ts.
 */

/** Field errors listed in one problem document; the rest are counted in the detail. */
const fieldErrorsListedMax = 100;

export function toRecord(row: RecordRow, versions?: VersionRow[]): ServiceRecord {
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

export function tooMany(errors: FieldError[]): FieldError[] {
  return errors.slice(0, fieldErrorsListedMax);
}

export function batchRefused(errors: FieldError[], what: string): DomainError {
  const first = errors[0]?.path ?? '';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return validationFailed(tooMany(errors), `${what}: ${first}${more}; nothing was written`);
}

export async function readRecord(deps: ServiceDeps, id: string): Promise<ServiceRecord> {
  const row = await findRecord(deps.db, id);
  if (!row) throw notFound('record');
  return toRecord(row, await listVersions(deps.db, id));
}

/**
 * One record with its full history. Visible to its volunteer, to organisers whose subtree holds the
 * volunteer or (under the scope rule for hours) manage the activity it belongs to, and to admins; to
 * anyone else it does not exist.
 */
export async function getRecord(deps: ServiceDeps, actor: Actor, id: string): Promise<ServiceRecord> {
  if (actor.role === 'merchant') throw forbidden('merchants cannot read service records');
  const row = await findRecord(deps.db, id);
  if (!row) throw notFound('record');
  if (actor.role === 'volunteer' && actor.id !== row.volunteer_id) throw notFound('record');
  if (actor.role === 'organiser' && !inScope(actor, row.volunteer_path)) {
    // A volunteer from elsewhere: only the hours at this organiser's activity that the scope rule lets it handle.
    if (!inScope(actor, row.org_path)) throw notFound('record');
    const beyond = await beyondHoursScope(deps.db, actor, row.activity_id, [{ id: row.volunteer_id, path: row.volunteer_path, checkedIn: row.source === 'check_in' }]);
    if (beyond.size > 0) throw notFound('record');
  }
  return toRecord(row, await listVersions(deps.db, id));
}

/**
 * The one scope rule for hours (docs/api.md, "Scope"). An organiser records, approves, rejects and
 * corrects hours at an activity it manages for the volunteers of its own subtree and for anyone who
 * signed up for that activity or checked in at it, wherever they belong: people do help in other
 * communities, and whoever runs the activity is the one who saw them there. Nothing else about a
 * volunteer outside its subtree is the organiser's business: no awards, no records of people who
 * never came near the activity, and no lists of them. Answers the ids among `volunteers` whose hours
 * at the activity the actor may not handle (none for an admin).
 */
export async function beyondHoursScope(db: Db | Tx, actor: Actor, activityId: string, volunteers: { id: string; path: string; checkedIn: boolean }[]): Promise<Set<string>> {
  if (actor.role !== 'organiser') return new Set();
  const outside = volunteers.filter((v) => !inScope(actor, v.path) && !v.checkedIn);
  const signedUp = await signedUpAmong(db, activityId, [...new Set(outside.map((v) => v.id))]);
  return new Set(outside.filter((v) => !signedUp.has(v.id)).map((v) => v.id));
}

/**
 * An activity's records by id (keyset paging), optionally by status; for its managers. A list of
 * people stays inside an organiser's subtree: records of volunteers from elsewhere are not listed
 * (each is still readable, approvable and correctable by id, under the rule above).
 */
export async function listActivityRecords(deps: ServiceDeps, actor: Actor, activityId: string, query: { status?: RecordStatus | undefined; limit: number; cursor?: string | undefined }) {
  await loadManagedActivity(deps.db, actor, activityId);
  const volunteerScopePath = actor.role === 'organiser' ? actor.orgPath : undefined;
  const rows = await listRecordRows(deps.db, { activityId, status: query.status, cursorId: decodeIdCursor(query.cursor), newestFirst: false, limit: query.limit, volunteerScopePath });
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
