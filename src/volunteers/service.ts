import type { Selectable } from 'kysely';
import { inScope, type Actor } from '../auth/actor.js';
import { linkAtRegistration } from '../auth/identities.js';
import { newId } from '../db/ids.js';
import type { Status, VolunteersTable } from '../db/types.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, notFound } from '../errors.js';
import { openVolunteerAccounts } from '../ledger/accounts.js';
import { requireActiveOrgUnit } from '../orgunits/service.js';
import { findPerson } from '../people/repository.js';
import { deactivatePerson, pageOfPeople } from '../people/service.js';
import { heldPosts } from '../posts/repository.js';
import { postNames } from '../posts/schemas.js';
import { insertVolunteer, type VolunteerRow } from './repository.js';
import type { CreateVolunteerInput, Volunteer } from './schemas.js';

type HeldPost = Awaited<ReturnType<typeof heldPosts>>[number];

export function toVolunteer(row: Selectable<VolunteersTable>, posts: HeldPost[] = []): Volunteer {
  return {
    id: row.id,
    name: row.name,
    orgUnitId: row.org_unit_id,
    phone: row.phone,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    posts: posts.map((p) => ({ id: p.id, orgUnitId: p.org_unit_id, kind: p.kind, kindName: postNames[p.kind] })),
  };
}

/** Volunteers with the posts they hold, in one query for the whole page. */
async function withPosts(deps: ServiceDeps, rows: Selectable<VolunteersTable>[]): Promise<Volunteer[]> {
  const posts = await heldPosts(deps.db, rows.map((r) => r.id));
  return rows.map((row) => toVolunteer(row, posts.filter((p) => p.volunteer_id === row.id)));
}

/**
 * Loads a volunteer the actor may see: admins see everyone, organisers their subtree, a volunteer
 * itself. Anyone else is told the volunteer does not exist (404), so ids cannot be probed; merchants
 * have no business with volunteer records at all (403).
 */
export async function loadVisibleVolunteer(deps: ServiceDeps, actor: Actor, id: string): Promise<VolunteerRow> {
  if (actor.role === 'merchant') throw forbidden('merchants cannot read volunteer records');
  const row = await findPerson(deps.db, 'volunteers', id);
  if (!row) throw notFound('volunteer');
  if (actor.role === 'organiser' && !inScope(actor, row.org_path)) throw notFound('volunteer');
  if (actor.role === 'volunteer' && actor.id !== row.id) throw notFound('volunteer');
  return row;
}

/** Registers a volunteer in an active org unit; organisers only inside their own subtree. */
export async function createVolunteer(deps: ServiceDeps, actor: Actor, input: CreateVolunteerInput): Promise<Volunteer> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers register volunteers');
  const unit = await requireActiveOrgUnit(deps, input.orgUnitId, 'orgUnitId');
  if (actor.role === 'organiser' && !inScope(actor, unit.path)) throw forbidden('that org unit is outside your scope');
  const id = newId();
  // The volunteer and its ledger accounts appear together or not at all.
  const row = await deps.db.transaction().execute(async (tx) => {
    const inserted = await insertVolunteer(tx, { id, name: input.name, phone: input.phone ?? null, org_unit_id: unit.id });
    await openVolunteerAccounts(tx, id);
    await linkAtRegistration(tx, deps.config, 'volunteer', id, input.externalSubject);
    return inserted;
  });
  return toVolunteer(row);
}

export async function getVolunteer(deps: ServiceDeps, actor: Actor, id: string): Promise<Volunteer> {
  const [volunteer] = await withPosts(deps, [await loadVisibleVolunteer(deps, actor, id)]);
  return volunteer!;
}

export async function listVolunteers(
  deps: ServiceDeps,
  actor: Actor,
  query: { orgUnitId?: string | undefined; status?: Status | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: Volunteer[]; nextCursor: string | null }> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers list volunteers');
  const page = await pageOfPeople(deps, actor, 'volunteers', query);
  return { items: await withPosts(deps, page.items), nextCursor: page.nextCursor };
}

/** Deactivation stops the volunteer signing in; its ledger history and balance stay untouched. */
export async function deactivateVolunteer(deps: ServiceDeps, actor: Actor, id: string): Promise<Volunteer> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers deactivate volunteers');
  await loadVisibleVolunteer(deps, actor, id);
  const [volunteer] = await withPosts(deps, [await deactivatePerson(deps, 'volunteers', id, 'volunteer')]);
  return volunteer!;
}
