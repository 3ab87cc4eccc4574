import type { Actor } from '../auth/actor.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, notFound, validationFailed } from '../errors.js';
import { decodeCursor, pageFrom } from '../http/paging.js';
import { findCategoryByCode, listCategories, updateCategory, upsertCategory, type CategoryRow } from './repository.js';
import type { CreateWishCategoryInput, UpdateWishCategoryInput, WishCategory } from './schemas.js';

function toCategory(row: CategoryRow): WishCategory {
  return { id: row.id, code: row.code, name: row.name, points: row.points, status: row.status, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() };
}

/**
 * Sets a wish category (admins only): creates it with the points its wishes earn, or, for a code
 * that exists, sets its name and points (`created` false). A category is known by its code, so
 * posting it again is how the office changes its points; new points apply to wishes confirmed from
 * then on, never to past awards.
 */
export async function setWishCategory(deps: ServiceDeps, actor: Actor, input: CreateWishCategoryInput): Promise<{ category: WishCategory; created: boolean }> {
  if (actor.role !== 'admin') throw forbidden('only admins manage wish categories');
  const row = await upsertCategory(deps.db, { id: newId(), code: input.code, name: input.name, points: input.points, created_by: actor.id });
  return { category: toCategory(row), created: row.created };
}

/**
 * Renames a category, changes its points or retires it (admins only). New points apply to wishes
 * confirmed from now on: an award already made keeps its points (the wish and the ledger hold
 * them), and a confirmation in progress holds the category's share lock, so it awards either the
 * old points or the new ones, never a mixture.
 */
export async function updateWishCategory(deps: ServiceDeps, actor: Actor, code: string, input: UpdateWishCategoryInput): Promise<WishCategory> {
  if (actor.role !== 'admin') throw forbidden('only admins manage wish categories');
  const row = await updateCategory(deps.db, code, input);
  if (!row) throw notFound('wish category');
  return toCategory(row);
}

/** The catalogue of wish categories is public to every authenticated caller. */
export async function getWishCategory(deps: ServiceDeps, _actor: Actor, code: string): Promise<WishCategory> {
  const row = await findCategoryByCode(deps.db, code);
  if (!row) throw notFound('wish category');
  return toCategory(row);
}

export async function listWishCategories(deps: ServiceDeps, _actor: Actor, query: { status?: 'active' | 'retired' | undefined; limit: number; cursor?: string | undefined }) {
  let afterCode: string | undefined;
  if (query.cursor) {
    const [code] = decodeCursor(query.cursor, 1);
    if (typeof code !== 'string') throw validationFailed([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
    afterCode = code;
  }
  const rows = await listCategories(deps.db, { status: query.status, afterCode, limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.code]);
  return { items: page.items.map(toCategory), nextCursor: page.nextCursor };
}
