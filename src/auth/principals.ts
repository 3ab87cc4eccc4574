import { statement, type Db } from '../db/database.js';
import { DomainError } from '../errors.js';
import type { AccessClaims } from '../tokens/access.js';
import { uuidPattern } from '../db/ids.js';
import type { Actor } from './actor.js';

const inactive = () => new DomainError('unauthorized', 'the principal named by this token does not exist or is inactive');

// Looked up for every caller whose cache entry has lapsed, so written once as SQL (see statement()).
const selectOrganiser = statement<{ id: string; org_unit_id: string; path: string }>(
  `select o.id, o.org_unit_id, u.path from organisers o join org_units u on u.id = o.org_unit_id where o.id = $1 and o.status = 'active'`,
);
const selectVolunteer = statement<{ id: string; org_unit_id: string }>(`select id, org_unit_id from volunteers where id = $1 and status = 'active'`);
const selectMerchant = statement<{ id: string }>(`select id from merchants where id = $1 and status = 'active'`);

/**
 * Turns verified claims into an Actor. A volunteer, organiser or merchant named by `sub` must exist
 * and be active; admins are operators outside the people tables, so any `sub` names one.
 */
export async function resolveActor(db: Db, claims: AccessClaims): Promise<Actor> {
  if (claims.role === 'admin') return { role: 'admin', id: claims.sub };
  if (!uuidPattern.test(claims.sub)) throw inactive();
  switch (claims.role) {
    case 'organiser': {
      const [row] = await selectOrganiser(db, claims.sub);
      if (!row) throw inactive();
      return { role: 'organiser', id: row.id, orgUnitId: row.org_unit_id, orgPath: row.path };
    }
    case 'volunteer': {
      const [row] = await selectVolunteer(db, claims.sub);
      if (!row) throw inactive();
      return { role: 'volunteer', id: row.id, orgUnitId: row.org_unit_id };
    }
    case 'merchant': {
      const [row] = await selectMerchant(db, claims.sub);
      if (!row) throw inactive();
      return { role: 'merchant', id: row.id };
    }
  }
}

type Listener = (principalId: string) => void;
const deactivationListeners = new Set<Listener>();

/**
 * Announces that a principal was deactivated, so every resolver in this process forgets it at once
 * (other instances forget it when their short cache entry lapses).
 */
export function principalDeactivated(principalId: string): void {
  for (const listener of deactivationListeners) listener(principalId);
}

/** Most principals remembered by one resolver. */
const principalCacheSizeMax = 50_000;

/**
 * Resolves actors with a short-lived cache: a principal confirmed active is trusted for `ttlMs`
 * without asking the database again. Deactivation in this process takes effect at once; in another
 * instance within `ttlMs`. A ttl of 0 checks the database on every request.
 */
export function createPrincipalResolver(db: Db, ttlMs: number) {
  const cache = new Map<string, { actor: Actor; expiresAtMs: number }>();
  const forget: Listener = (id) => {
    for (const role of ['organiser', 'volunteer', 'merchant']) cache.delete(`${role}:${id}`);
  };
  deactivationListeners.add(forget);
  return {
    async resolve(claims: AccessClaims): Promise<Actor> {
      if (claims.role === 'admin' || ttlMs <= 0) return resolveActor(db, claims);
      const key = `${claims.role}:${claims.sub}`;
      const hit = cache.get(key);
      if (hit && hit.expiresAtMs > Date.now()) return hit.actor;
      const actor = await resolveActor(db, claims);
      if (cache.size >= principalCacheSizeMax) cache.clear();
      cache.set(key, { actor, expiresAtMs: Date.now() + ttlMs });
      return actor;
    },
    close() {
      deactivationListeners.delete(forget);
    },
  };
}

export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>;
