import { batchLoader, uuidArray } from '../db/batch.js';
import { statement, type Db } from '../db/database.js';
import { DomainError } from '../errors.js';
import type { AccessClaims } from '../tokens/access.js';
import { uuidPattern } from '../db/ids.js';
import type { Actor } from './actor.js';

const inactive = () => new DomainError('unauthorized', 'the principal named by this token does not exist or is inactive');

// Looked up for every caller whose cache entry has lapsed, so written once as SQL (see statement()):
// a batch of ids ($2, a uuid[] literal) of one role ($1) in, the active ones out. active_principals
// (sql/0014_plans_and_counts.sql) keeps its index lookups whatever the table statistics say.
const selectPrincipals = statement<{ id: string; org_unit_id: string | null; path: string | null }>(
  'select id, org_unit_id, path from active_principals($1::text, $2::text::uuid[])',
);

type PrincipalRole = Exclude<AccessClaims['role'], 'admin'>;

/**
 * Turns verified claims into an Actor. A volunteer, organiser or merchant named by `sub` must exist
 * and be active; admins are operators outside the people tables, so any `sub` names one. Lookups
 * asked for in the same moment go to the database together, one query per role (batchLoader).
 */
function createActorLoader(db: Db) {
  const loaders: Record<PrincipalRole, (id: string) => Promise<Actor | undefined>> = {
    organiser: batchLoader(async (ids) => {
      const rows = await selectPrincipals(db, 'organiser', uuidArray(ids));
      return new Map(rows.map((r) => [r.id, { role: 'organiser', id: r.id, orgUnitId: r.org_unit_id, orgPath: r.path } as Actor]));
    }),
    volunteer: batchLoader(async (ids) => {
      const rows = await selectPrincipals(db, 'volunteer', uuidArray(ids));
      return new Map(rows.map((r) => [r.id, { role: 'volunteer', id: r.id, orgUnitId: r.org_unit_id } as Actor]));
    }),
    merchant: batchLoader(async (ids) => {
      const rows = await selectPrincipals(db, 'merchant', uuidArray(ids));
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
