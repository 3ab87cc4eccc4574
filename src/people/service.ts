import type { Selectable } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { principalDeactivated } from '../auth/principals.js';
import type { DB, Status } from '../db/types.js';
import type { ServiceDeps } from '../deps.js';
import { notFound } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import { subtreeFilter } from '../orgunits/scope.js';
import { listPeople, setPersonStatus, type PeopleSearch, type PeopleTable, type PersonRow } from './repository.js';

/**
 * The steps organisers and volunteers share; each module keeps its own rules (who may do what) and
 * its own response shape, and calls these for the rest.
 */

/**
 * A page of people, oldest first, inside the subtree the actor may see: an organiser never sees past
 * its own, and asking for a unit outside it is answered as if the unit did not exist.
 */
export async function pageOfPeople<T extends PeopleTable>(
  deps: ServiceDeps,
  actor: Actor,
  table: T,
  query: { orgUnitId?: string | undefined; status?: Status | undefined; q?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: PersonRow<T>[]; nextCursor: string | null }> {
  const withinPath = await subtreeFilter(deps.db, actor, query.orgUnitId);
  const afterId = decodeIdCursor(query.cursor);
  const search = query.q ? peopleSearch(query.q) : undefined;
  const rows = await listPeople(deps.db, table, { withinPath, status: query.status, search, afterId, limit: query.limit });
  return pageFrom(rows, query.limit, (r) => [r.id]);
}

/** Fewest digits typed before the words are also tried as part of a phone number. */
const phoneDigitsMin = 3;

/**
 * Reads what was typed into a search box: always part of a name; also part of a phone number when
 * it holds only what phone numbers are written with and enough digits to mean something.
 */
export function peopleSearch(q: string): PeopleSearch {
  const text = q.trim();
  const digits = text.replace(/[^0-9]/g, '');
  const phoneLike = /^[+0-9 ()-]+$/.test(text) && digits.length >= phoneDigitsMin;
  return { text, phoneDigits: phoneLike ? digits : undefined };
}

/**
 * Marks a person inactive; every principal resolver in this process forgets it at once, so its
 * tokens stop working here now and elsewhere within the resolvers' short cache. Nothing else about
 * the person changes. `what` names the person in a 404.
 */
export async function deactivatePerson<T extends PeopleTable>(deps: ServiceDeps, table: T, id: string, what: string): Promise<Selectable<DB[T]>> {
  const row = await setPersonStatus(deps.db, table, id, 'inactive');
  principalDeactivated(id);
  if (!row) throw notFound(what);
  return row;
}
