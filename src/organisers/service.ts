import type { Selectable } from 'kysely';
import { inScope, type Actor } from '../auth/actor.js';
import { linkAtRegistration } from '../auth/identities.js';
import { newId } from '../db/ids.js';
import type { OrganisersTable, Status } from '../db/types.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, notFound } from '../errors.js';
import { requireActiveOrgUnit } from '../orgunits/service.js';
import { findPerson } from '../people/repository.js';
import { deactivatePerson, pageOfPeople } from '../people/service.js';
import { insertOrganiser } from './repository.js';
import type { CreateOrganiserInput, Organiser } from './schemas.js';

export function toOrganiser(row: Selectable<OrganisersTable>): Organiser {
  return { id: row.id, name: row.name, orgUnitId: row.org_unit_id, status: row.status, createdAt: row.created_at.toISOString() };
}

function requireStaff(actor: Actor): asserts actor is Extract<Actor, { role: 'admin' | 'organiser' }> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers read organiser records');
}

/** Organisers are appointed by the programme office (admin) to one org unit. */
export async function createOrganiser(deps: ServiceDeps, actor: Actor, input: CreateOrganiserInput): Promise<Organiser> {
  if (actor.role !== 'admin') throw forbidden('only admins appoint organisers');
  const unit = await requireActiveOrgUnit(deps, input.orgUnitId, 'orgUnitId');
  const id = newId();
  // The organiser and its provider identity appear together or not at all.
  const row = await deps.db.transaction().execute(async (tx) => {
    const inserted = await insertOrganiser(tx, { id, name: input.name, org_unit_id: unit.id });
    await linkAtRegistration(tx, deps.config, 'organiser', id, input.externalSubject);
    return inserted;
  });
  return toOrganiser(row);
}

/** Admins read any organiser; an organiser reads itself and organisers inside its subtree. */
export async function getOrganiser(deps: ServiceDeps, actor: Actor, id: string): Promise<Organiser> {
  requireStaff(actor);
  const row = await findPerson(deps.db, 'organisers', id);
  if (!row || (actor.role === 'organiser' && row.id !== actor.id && !inScope(actor, row.org_path))) throw notFound('organiser');
  return toOrganiser(row);
}

export async function listOrganisers(
  deps: ServiceDeps,
  actor: Actor,
  query: { orgUnitId?: string | undefined; status?: Status | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: Organiser[]; nextCursor: string | null }> {
  requireStaff(actor);
  const page = await pageOfPeople(deps, actor, 'organisers', query);
  return { items: page.items.map(toOrganiser), nextCursor: page.nextCursor };
}

/** A deactivated organiser's tokens stop working at once: every request re-checks the principal. */
export async function deactivateOrganiser(deps: ServiceDeps, actor: Actor, id: string): Promise<Organiser> {
  if (actor.role !== 'admin') throw forbidden('only admins deactivate organisers');
  return toOrganiser(await deactivatePerson(deps, 'organisers', id, 'organiser'));
}
