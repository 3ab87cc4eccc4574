import { batchLoader, uuidArray } from '../db/batch.js';
import { statement, type Db } from '../db/database.js';
import { DomainError } from '../errors.js';
import type { AccessClaims } from '../tokens/access.js';
import { uuidPattern } from '../db/ids.js';
import type { Actor } from './actor.js';

const inactive = () => new DomainError('unauthorized', 'the principal named by this token does not exist or is inactive');

// Looked up for every caller whose cache entry has lapsed, so written once as SQL (see statement()).
// Each takes a batch of ids ($1, a uuid[] literal) and returns the active ones.
const selectOrganisers = statement<{ id: string; org_unit_id: string; path: string }>(
  `select o.id, o.org_unit_id, u.path from organisers o join org_units u on u.id = o.org_unit_id where o.id = any($1::text::uuid[]) and o.status = 'active'`,
);
const selectVolunteers = statement<{ id: string; org_unit_id: string }>(`select id, org_unit_id from volunteers where id = any($1::text::uuid[]) and status = 'active'`);
const selectMerchants = statement<{ id: string }>(`select id from merchants where id = any($1::text::uuid[]) and status = 'active'`);

type PrincipalRole = Exclude<AccessClaims['role'], 'admin'>;

/**
 * Turns verified claims into an Actor. A volunteer, organiser or merchant named by `sub` must exist
 * and be active; admins are operators outside the people tables, so any `sub` names one. Lookups
 * asked for in the same moment go to the database together, one query per role (batchLoader).
 */
function createActorLoader(db: Db) {
  const loaders: Record<PrincipalRole, (id: string) => Promise<Actor | undefined>> = {
    organiser: batchLoader(async (ids) => {
      const rows = await selectOrganisers(db, uuidArray(ids));
      return new Map(rows.map((r) => [r.id, { role: 'organiser', id: r.id, orgUnitId: r.org_unit_id, orgPath: r.path } as Actor]));
    }),
    volunteer: batchLoader(async (ids) => {
      const rows = await selectVolunteers(db, uuidArray(ids));
      return new Map(rows.map((r) => [r.id, { role: 'volunteer', id: r.id, orgUnitId: r.org_unit_id } as Actor]));
    }),
    merchant: batchLoader(async (ids) => {
      const rows = await selectMerchants(db, uuidArray(ids));
      return new Map(rows.map((r) => [r.id, { role: 'merchant', id: r.id } as Actor]));
    }),
  };
  return async (claims: AccessClaims): Promise<Actor> => {
    if (claims.role === 'admin') return { role: 'admin', id: claims.sub };
    if (!uuidPattern.test(claims.sub)) throw inactive();
    // Verification has already lower-cased a uuid sub (the spelling PostgreSQL answers with).
    const actor = await loaders[claims.role](claims.sub);
    if (!actor) throw inactive();
    return actor;
  };
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
  const resolveActor = createActorLoader(db);
  const cache = new Map<string, { actor: Actor; expiresAtMs: number }>();
  const forget: Listener = (id) => {
    // Keys hold the normalised (lower-case) id; the id deactivated may arrive as a path spelled otherwise.
    const key = id.toLowerCase();
    for (const role of ['organiser', 'volunteer', 'merchant']) cache.delete(`${role}:${key}`);
  };
  deactivationListeners.add(forget);
  return {
    async resolve(claims: AccessClaims): Promise<Actor> {
      if (claims.role === 'admin' || ttlMs <= 0) return resolveActor(claims);
      const key = `${claims.role}:${claims.sub}`;
      const hit = cache.get(key);
      if (hit && hit.expiresAtMs > Date.now()) return hit.actor;
      const actor = await resolveActor(claims);
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
