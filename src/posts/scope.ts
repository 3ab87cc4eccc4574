import type { Actor } from '../auth/actor.js';
import type { Db, Tx } from '../db/database.js';
import { notFound } from '../errors.js';
import { findOrgUnit } from '../orgunits/repository.js';
import { postUnitPaths } from './repository.js';

/**
 * Where a volunteer works in its neighbourhood: its community (the ancestor of its own unit at the
 * configured community depth, or its own unit if that is shallower) plus the subtree of every unit
 * where it holds a post. A volunteer sees the posts, and the open wishes, of these subtrees.
 */

/** The path of the ancestor at `depth` of the unit whose path is given (the path itself if shallower). */
export function ancestorPath(path: string, depth: number): string {
  const ids = path.split('/').filter(Boolean);
  return `/${ids.slice(0, depth).join('/')}/`;
}

/** The unit paths under which a volunteer works: its community, then the units of its posts. */
export async function volunteerPaths(db: Db | Tx, actor: Extract<Actor, { role: 'volunteer' }>, communityDepth: number): Promise<string[]> {
  const [unit, posts] = await Promise.all([findOrgUnit(db, actor.orgUnitId), postUnitPaths(db, actor.id)]);
  if (!unit) throw notFound('org unit');
  return [ancestorPath(unit.path, communityDepth), ...posts];
}

export const underAny = (path: string, prefixes: string[]) => prefixes.some((p) => path.startsWith(p));
