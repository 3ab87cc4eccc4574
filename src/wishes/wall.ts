import type { ServiceDeps } from '../deps.js';
import { notFound } from '../errors.js';
import { findOrgUnit } from '../orgunits/repository.js';
import { listWishRows } from './repository.js';
import { monthFigures } from './report.js';

/** Most wishes the wall shows at once (a screen holds fewer; the count says how many are open). */
export const wallWishesMax = 30;

export interface WallWish {
  id: string;
  title: string;
  categoryName: string;
  points: number;
  createdAt: string;
  neededBy: string | null;
}

export interface Wall {
  orgUnit: { id: string; name: string };
  wishes: WallWish[];
  /** More open wishes than the wall shows. */
  more: boolean;
  month: Awaited<ReturnType<typeof monthFigures>>;
}

/**
 * The public wall of an org unit's subtree, for a screen at the service centre: its open wishes
 * (what is asked and its category, never who asked or how to reach them) and this month's figures.
 * No caller: it shows nothing a passer-by may not read. An unknown or inactive unit: not_found.
 */
export async function wishWall(deps: Pick<ServiceDeps, 'db' | 'config'>, orgUnitId: string): Promise<Wall> {
  const unit = await findOrgUnit(deps.db, orgUnitId);
  if (!unit || unit.status !== 'active') throw notFound('org unit');
  const [rows, month] = await Promise.all([listWishRows(deps.db, { withinPath: unit.path, status: 'open', limit: wallWishesMax }), monthFigures(deps, unit.path)]);
  // Oldest first: the wish waiting longest is the one to answer next.
  const shown = rows.slice(0, wallWishesMax).reverse();
  return {
    orgUnit: { id: unit.id, name: unit.name },
    wishes: shown.map((r) => ({ id: r.id, title: r.title, categoryName: r.category_name, points: r.category_points, createdAt: r.created_at.toISOString(), neededBy: r.needed_by ? r.needed_by.toISOString() : null })),
    more: rows.length > wallWishesMax,
    month,
  };
}
