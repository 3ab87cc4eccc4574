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

/** The active principals of one role among `ids` (well-formed uuids), as actors by id. */
async function activeActors(db: Db, role: PrincipalRole, ids: string[]): Promise<Map<string, Actor>> {
  const list = `{${ids.join(',')}}`;
  const actors = new Map<string, Actor>();
  switch (role) {
    case 'organiser':
      for (const row of await selectOrganisers(db, list)) actors.set(row.id, { role: 'organiser', id: row.id, orgUnitId: row.org_unit_id, orgPath: row.path });
      break;
    case 'volunteer':
      for (const row of await selectVolunteers(db, list)) actors.set(row.id, { role: 'volunteer', id: row.id, orgUnitId: row.org_unit_id });
      break;
    case 'merchant':
      for (const row of await selectMerchants(db, list)) actors.set(row.id, { role: 'merchant', id: row.id });
      break;
  }
  return actors;
}

/** Most principals looked up in one query. */
const lookupBatchMax = 500;

/**
 * Turns verified claims into an Actor. A volunteer, organiser or merchant named by `sub` must exist
 * and be active; admins are operators outside the people tables, so any `sub` names one.
 *
 * Lookups asked for in the same turn of the event loop go to the database together, one query per
 * role: under load many callers' cache entries lapse at once, and one query for all of them costs
 * the service and PostgreSQL little more than one query for one.
 */
function createActorLoader(db: Db) {
  interface Waiting {
    resolve: (actor: Actor) => void;
    reject: (error: unknown) => void;
  }
  const pending = new Map<PrincipalRole, Map<string, Waiting[]>>();
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batches = [...pending];
    pending.clear();
    for (const [role, byId] of batches) {
      const ids = [...byId.keys()];
      for (let i = 0; i < ids.length; i += lookupBatchMax) {
        const slice = ids.slice(i, i + lookupBatchMax);
        activeActors(db, role, slice).then(
          (actors) => {
            for (const id of slice) {
              const actor = actors.get(id);
              for (const waiting of byId.get(id)!) {
                if (actor) waiting.resolve(actor);
                else waiting.reject(inactive());
              }
            }
          },
          (error: unknown) => {
            for (const id of slice) for (const waiting of byId.get(id)!) waiting.reject(error);
          },
        );
      }
    }
  };

  return (claims: AccessClaims): Promise<Actor> => {
    if (claims.role === 'admin') return Promise.resolve({ role: 'admin', id: claims.sub });
    if (!uuidPattern.test(claims.sub)) return Promise.reject(inactive());
    const role = claims.role;
    // PostgreSQL answers with the canonical (lower-case) spelling of a uuid.
    const id = claims.sub.toLowerCase();
    return new Promise<Actor>((resolve, reject) => {
      let byId = pending.get(role);
      if (!byId) pending.set(role, (byId = new Map()));
      let waiting = byId.get(id);
      if (!waiting) byId.set(id, (waiting = []));
      waiting.push({ resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
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
    for (const role of ['organiser', 'volunteer', 'merchant']) cache.delete(`${role}:${id}`);
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
