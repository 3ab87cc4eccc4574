import type { Selectable } from 'kysely';
import { inScope, type Actor } from '../auth/actor.js';
import { newId } from '../db/ids.js';
import type { Status, VolunteersTable } from '../db/types.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, notFound } from '../errors.js';
import { openVolunteerAccounts } from '../ledger/accounts.js';
import { requireActiveOrgUnit } from '../orgunits/service.js';
import { findPerson } from '../people/repository.js';
import { deactivatePerson, pageOfPeople } from '../people/service.js';
import { insertVolunteer, type VolunteerRow } from './repository.js';
import type { CreateVolunteerInput, Volunteer } from './schemas.js';

export function toVolunteer(row: Selectable<VolunteersTable>): Volunteer {
  return { id: row.id, name: row.name, orgUnitId: row.org_unit_id, phone: row.phone, status: row.status, createdAt: row.created_at.toISOString() };
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
    return inserted;
  });
  return toVolunteer(row);
}

export async function getVolunteer(deps: ServiceDeps, actor: Actor, id: string): Promise<Volunteer> {
  return toVolunteer(await loadVisibleVolunteer(deps, actor, id));
}

export async function listVolunteers(
  deps: ServiceDeps,
  actor: Actor,
  query: { orgUnitId?: string | undefined; status?: Status | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: Volunteer[]; nextCursor: string | null }> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers list volunteers');
  const page = await pageOfPeople(deps, actor, 'volunteers', query);
  return { items: page.items.map(toVolunteer), nextCursor: page.nextCursor };
}

/** Deactivation stops the volunteer signing in; its ledger history and balance stay untouched. */
export async function deactivateVolunteer(deps: ServiceDeps, actor: Actor, id: string): Promise<Volunteer> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers deactivate volunteers');
  await loadVisibleVolunteer(deps, actor, id);
  return toVolunteer(await deactivatePerson(deps, 'volunteers', id, 'volunteer'));
}
