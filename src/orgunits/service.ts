import type { Actor } from '../auth/actor.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import type { Status } from '../db/types.js';
import { findOrgUnit, insertOrgUnit, listOrgUnits as listRows, listSubtreeUnits, setOrgUnitStatus, type OrgUnitRow } from './repository.js';
import type { CreateOrgUnitInput, OrgUnit } from './schemas.js';

export const orgUnitDepthMax = 10;

export function toOrgUnit(row: OrgUnitRow): OrgUnit {
  return { id: row.id, name: row.name, parentId: row.parent_id, depth: row.depth, status: row.status, createdAt: row.created_at.toISOString() };
}

/**
 * Loads an active org unit that new people or children may be attached to.
 * `field` names the request field for a validation error when it does not exist.
 */
export async function requireActiveOrgUnit(deps: ServiceDeps, id: string, field: string): Promise<OrgUnitRow> {
  const unit = await findOrgUnit(deps.db, id);
  if (!unit) throw validationFailed([{ path: field, message: 'no such org unit' }]);
  if (unit.status !== 'active') throw new DomainError('inactive', `org unit ${id} is inactive`);
  return unit;
}

/**
 * Creates an org unit under an optional parent. Only admins shape the tree. The unit's path is the
 * parent's path plus its own id, fixed for life: units never move, so scopes never shift under
 * existing organisers.
 */
export async function createOrgUnit(deps: ServiceDeps, actor: Actor, input: CreateOrgUnitInput): Promise<OrgUnit> {
  if (actor.role !== 'admin') throw forbidden('only admins create org units');
  const id = newId();
  let path = `/${id}/`;
  let depth = 1;
  if (input.parentId) {
    const parent = await requireActiveOrgUnit(deps, input.parentId, 'parentId');
    if (parent.depth >= orgUnitDepthMax) throw validationFailed([{ path: 'parentId', message: `the tree is at most ${orgUnitDepthMax} levels deep` }]);
    path = `${parent.path}${id}/`;
    depth = parent.depth + 1;
  }
  try {
    return toOrgUnit(await insertOrgUnit(deps.db, { id, name: input.name, parent_id: input.parentId ?? null, path, depth }));
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new DomainError('conflict', 'a unit with this name already exists under the same parent');
    throw error;
  }
}

/** Org units are the programme's public structure: every authenticated caller may read them. */
export async function getOrgUnit(deps: ServiceDeps, _actor: Actor, id: string): Promise<OrgUnit> {
  const unit = await findOrgUnit(deps.db, id);
  if (!unit) throw notFound('org unit');
  return toOrgUnit(unit);
}

export async function listOrgUnits(
  deps: ServiceDeps,
  _actor: Actor,
  query: { parentId?: string | undefined; status?: Status | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: OrgUnit[]; nextCursor: string | null }> {
  const afterId = decodeIdCursor(query.cursor);
  const rows = await listRows(deps.db, { ...query, afterId });
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map(toOrgUnit), nextCursor: page.nextCursor };
}

/** Deactivating a unit stops new people and children being attached to it; nothing is deleted. */
export async function deactivateOrgUnit(deps: ServiceDeps, actor: Actor, id: string): Promise<OrgUnit> {
  if (actor.role !== 'admin') throw forbidden('only admins deactivate org units');
  const row = await setOrgUnitStatus(deps.db, id, 'inactive');
  if (!row) throw notFound('org unit');
  return toOrgUnit(row);
}

/** Most units a picker offers: a street's communities and grids fit many times over. */
export const subtreeUnitsMax = 500;

/**
 * The active units an actor may place people and activities in, in tree order with their depth:
 * an organiser's own subtree, an admin's whole tree. What a form's unit picker offers.
 */
export async function unitsInScope(deps: ServiceDeps, actor: Actor): Promise<OrgUnit[]> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers place people and activities');
  const rows = await listSubtreeUnits(deps.db, actor.role === 'organiser' ? actor.orgPath : undefined, subtreeUnitsMax);
  return rows.map(toOrgUnit);
}
