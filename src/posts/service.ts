import { inScope, type Actor } from '../auth/actor.js';
import { subtreeFilter } from '../orgunits/scope.js';
import { sqlState } from '../db/errors.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import { requireActiveOrgUnit } from '../orgunits/service.js';
import { endPost as endPostRow, findPost, findPostVolunteer, insertPost, listPosts as listPostRows, type PostRow } from './repository.js';
import { postNames, type PostKind, type VolunteerPost } from './schemas.js';
import { volunteerPaths } from './scope.js';


function toPost(row: PostRow): VolunteerPost {
  return {
    id: row.id,
    volunteerId: row.volunteer_id,
    volunteerName: row.volunteer_name,
    orgUnitId: row.org_unit_id,
    orgUnitName: row.org_unit_name,
    kind: row.kind,
    kindName: postNames[row.kind],
    active: row.ended_at === null,
    assignedAt: row.assigned_at.toISOString(),
    assignedBy: { role: row.assigned_by_role, id: row.assigned_by_id },
    endedAt: row.ended_at ? row.ended_at.toISOString() : null,
    endedBy: row.ended_by_role && row.ended_by_id ? { role: row.ended_by_role, id: row.ended_by_id } : null,
  };
}

/**
 * Gives a volunteer a post in an org unit (admins; organisers for volunteers and units in their
 * subtree). The volunteer must be active and the unit active; a volunteer holds a given post in a
 * given unit once at a time (a unique index decides races). From then on new wishes in that unit
 * are offered to it first, and it sees and may take the open wishes of the unit's subtree.
 */
export async function assignPost(deps: ServiceDeps, actor: Actor, input: { volunteerId: string; orgUnitId: string; kind: PostKind }): Promise<VolunteerPost> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers assign posts');
  const volunteer = await findPostVolunteer(deps.db, input.volunteerId);
  if (!volunteer || (actor.role === 'organiser' && !inScope(actor, volunteer.org_path))) throw validationFailed([{ path: 'volunteerId', message: 'no such volunteer in your scope' }]);
  if (volunteer.status !== 'active') throw new DomainError('inactive', 'the volunteer is inactive');
  const unit = await requireActiveOrgUnit(deps, input.orgUnitId, 'orgUnitId');
  if (actor.role === 'organiser' && !inScope(actor, unit.path)) throw forbidden('that org unit is outside your scope');
  const id = newId();
  try {
    await insertPost(deps.db, { id, volunteer_id: volunteer.id, org_unit_id: unit.id, kind: input.kind, assigned_by_role: actor.role, assigned_by_id: actor.id });
  } catch (error) {
    if (sqlState(error) === '23505') throw new DomainError('conflict', `the volunteer already holds the post of ${postNames[input.kind]} in this unit`);
    throw error;
  }
  const row = await findPost(deps.db, id);
  if (!row) throw new Error(`post ${id} vanished after insert`);
  return toPost(row);
}

/** Ends a post (admins; organisers in scope). Ending it again changes nothing. */
export async function endPost(deps: ServiceDeps, actor: Actor, id: string): Promise<VolunteerPost> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers end posts');
  const row = await findPost(deps.db, id);
  if (!row || (actor.role === 'organiser' && !inScope(actor, row.org_path))) throw notFound('volunteer post');
  if (row.ended_at === null) await endPostRow(deps.db, id, { role: actor.role, id: actor.id });
  const after = await findPost(deps.db, id);
  if (!after) throw notFound('volunteer post');
  return toPost(after);
}

/**
 * Lists posts, newest last: admins all, organisers their subtree, a volunteer those of its
 * community and of the units where it holds a post (post holders are the neighbourhood's known
 * contacts, as on the notice by the stairwell). Ended posts only when asked for.
 */
export async function listPosts(
  deps: ServiceDeps,
  actor: Actor,
  query: { orgUnitId?: string | undefined; volunteerId?: string | undefined; kind?: PostKind | undefined; includeEnded?: boolean | undefined; limit: number; cursor?: string | undefined },
) {
  if (actor.role === 'merchant') throw forbidden('merchants do not read volunteer posts');
  const unitPath = await subtreeFilter(deps.db, actor, query.orgUnitId);
  let withinPaths = unitPath === undefined ? undefined : [unitPath];
  if (actor.role === 'volunteer') {
    const own = await volunteerPaths(deps.db, actor, deps.config.WISH_COMMUNITY_DEPTH);
    // The subtree asked for, cut down to what the volunteer may see.
    withinPaths = unitPath === undefined ? own : own.some((p) => unitPath.startsWith(p)) ? [unitPath] : own.filter((p) => p.startsWith(unitPath));
  }
  const rows = await listPostRows(deps.db, {
    withinPaths,
    volunteerId: query.volunteerId,
    kind: query.kind,
    includeEnded: query.includeEnded ?? false,
    afterId: decodeIdCursor(query.cursor),
    limit: query.limit,
  });
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map(toPost), nextCursor: page.nextCursor };
}
