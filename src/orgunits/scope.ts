import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/database.js';
import { notFound } from '../errors.js';
import { findOrgUnit } from './repository.js';

/**
 * The org-unit path prefix a list query must stay inside. An organiser never sees past its own
 * subtree: asking for a unit outside it is answered as if the unit did not exist.
 */
export async function subtreeFilter(db: Db, actor: Actor, orgUnitId: string | undefined): Promise<string | undefined> {
  let path: string | undefined;
  if (orgUnitId) {
    const unit = await findOrgUnit(db, orgUnitId);
    if (!unit) throw notFound('org unit');
    path = unit.path;
  }
  if (actor.role === 'organiser') {
    if (!path) return actor.orgPath;
    if (!path.startsWith(actor.orgPath)) throw notFound('org unit');
  }
  return path;
}
