import { inScope, type Actor } from '../auth/actor.js';
import { underAny } from '../posts/scope.js';
import type { WishRow } from './repository.js';

/**
 * Who may see and do what with a wish. Volunteers work in their community and the units of their
 * posts (posts/scope.ts); organisers in their subtree; admins everywhere.
 */

export interface WishAccess {
  /** The wish exists for this caller (anyone else is told 404). */
  visible: boolean;
  /** May see whom to contact: the taker while it has the wish, the poster, organisers in scope, admins. */
  contacts: boolean;
  /** Manages the wish: an organiser in scope or an admin (assign, release, confirm, cancel). */
  manager: boolean;
  /** The volunteer who posted it. */
  poster: boolean;
  /** The volunteer who has it now (taken, done or confirmed). */
  taker: boolean;
}

/**
 * Decides what the caller may do with one wish. A volunteer knows the wishes of its community (and
 * of the units where it holds a post) in every state, so a wish taken by someone else a moment ago
 * answers "already taken", not "not found"; lists show it only the open ones and its own.
 */
export function accessTo(actor: Actor, row: WishRow, volunteerScope: string[] | undefined): WishAccess {
  const none: WishAccess = { visible: false, contacts: false, manager: false, poster: false, taker: false };
  if (actor.role === 'admin') return { visible: true, contacts: true, manager: true, poster: row.posted_by_role === 'admin' && row.posted_by_id === actor.id, taker: false };
  if (actor.role === 'organiser') {
    if (!inScope(actor, row.org_path)) return none;
    return { visible: true, contacts: true, manager: true, poster: row.posted_by_role === 'organiser' && row.posted_by_id === actor.id, taker: false };
  }
  if (actor.role !== 'volunteer') return none;
  const poster = row.poster_volunteer_id === actor.id;
  const taker = row.taker_id === actor.id && (row.status === 'taken' || row.status === 'done' || row.status === 'confirmed');
  const known = poster || row.taker_id === actor.id || (volunteerScope !== undefined && underAny(row.org_path, volunteerScope));
  return { visible: known, contacts: poster || taker, manager: false, poster, taker };
}
