import type { Role } from '../tokens/access.js';

/**
 * The authenticated caller as services see it. Organisers carry the materialised path of their
 * org unit, so "is this inside my subtree" is a string prefix test with no extra query.
 */
export type Actor =
  | { role: 'admin'; id: string }
  | { role: 'organiser'; id: string; orgUnitId: string; orgPath: string }
  | { role: 'volunteer'; id: string; orgUnitId: string }
  | { role: 'merchant'; id: string };

export type { Role };

export function isAdmin(actor: Actor): actor is Extract<Actor, { role: 'admin' }> {
  return actor.role === 'admin';
}

/** True when `path` (an org unit's materialised path) lies in the organiser's subtree. */
export function inScope(actor: Extract<Actor, { role: 'organiser' }>, path: string): boolean {
  return path.startsWith(actor.orgPath);
}
