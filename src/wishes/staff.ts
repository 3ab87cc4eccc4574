import type { Actor } from '../auth/actor.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, notFound } from '../errors.js';
import { postNames } from '../posts/schemas.js';
import { ancestorPath } from '../posts/scope.js';
import { findWish, listActiveUnitsUnder, listTakerCandidates } from './repository.js';
import { accessTo } from './scope.js';

/** Most volunteers one search offers; a longer list is narrowed by typing more of a name. */
export const candidatesMax = 20;
/** Most units the desk offers to post a wish in. */
export const postingUnitsMax = 300;

export interface TakerCandidate {
  id: string;
  name: string;
  /** The last four digits of the phone: enough to tell two people of one name apart. */
  phoneTail: string | null;
  orgUnitName: string;
  /** The post this volunteer holds in the wish's own unit (楼栋长 …): offered first. */
  post: { kind: string; kindName: string } | null;
}

/**
 * Whom an organiser (in scope) or an admin might give a wish to: active volunteers of the wish's
 * community within the caller's subtree, except its poster, the unit's post holders first. `text`
 * narrows by a part of the name or phone. assignWish still decides; this only offers.
 */
export async function takerCandidates(deps: ServiceDeps, actor: Actor, wishId: string, input: { text?: string | undefined }): Promise<TakerCandidate[]> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only organisers and admins assign wishes');
  const row = await findWish(deps.db, wishId);
  if (!row) throw notFound('wish');
  if (!accessTo(actor, row, undefined).manager) throw notFound('wish');
  const withinPaths = [ancestorPath(row.org_path, deps.config.WISH_COMMUNITY_DEPTH)];
  if (actor.role === 'organiser') withinPaths.push(actor.orgPath);
  const text = input.text?.trim().slice(0, 50) || undefined;
  const rows = await listTakerCandidates(deps.db, { withinPaths, unitId: row.org_unit_id, excludeId: row.poster_volunteer_id, text, limit: candidatesMax });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    phoneTail: r.phone ? r.phone.slice(-4) : null,
    orgUnitName: r.unit_name,
    post: r.post_kind ? { kind: r.post_kind, kindName: postNames[r.post_kind] } : null,
  }));
}

/** The units an organiser (its subtree) or an admin (all) may post a wish in, in tree order. */
export async function postingUnits(deps: ServiceDeps, actor: Actor): Promise<{ id: string; name: string; depth: number }[]> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only organisers and admins post on behalf of residents');
  const rows = await listActiveUnitsUnder(deps.db, actor.role === 'organiser' ? actor.orgPath : undefined, postingUnitsMax);
  return rows.map((r) => ({ id: r.id, name: r.name, depth: r.path.split('/').filter(Boolean).length }));
}
