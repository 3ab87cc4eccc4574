import { inScope, type Actor } from '../auth/actor.js';
import { signedUpAmong } from '../activities/repository.js';
import { loadManagedActivity } from '../activities/service.js';
import { uuidPattern } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden } from '../errors.js';
import { findMatchCandidates, type MatchCandidate } from './repository.js';
import type { MatchRowInput, MatchedRow } from './schemas.js';

/**
 * Who each row of a sheet means: the step between pasting a sheet of hours and entering them, so
 * the organiser sees every row's person (or why there is none) before anything is written.
 */

/**
 * A phone number as matching compares it: digits only, and a Chinese mobile number without its +86.
 * The same rule as phone_key() in sql/0018_desk.sql, which the stored numbers are indexed by.
 */
export function phoneKey(phone: string): string | null {
  const digits = phone.replace(/[^0-9]/g, '').replace(/^86(1[0-9]{10})$/, '$1');
  return digits === '' ? null : digits;
}

/**
 * Matches rows naming volunteers by id, phone or name (admin; organisers within their subtree, and,
 * when matching for one of their activities, the volunteers signed up for it).
 * A row is matched by the first of id, phone and name it gives; a name alone must name exactly
 * one volunteer the caller may see (active ones first), and a name given beside an id or a phone
 * must agree with it. Each unmatched row says why: not_found, ambiguous, out_of_scope (someone
 * outside the organiser's subtree; nothing about them is shown), inactive, mismatch (the name and
 * the phone or id point at different people) or duplicate (the same person as an earlier row).
 * Reads only; the entry itself goes through the bulk records route under an Idempotency-Key.
 */
export async function matchVolunteers(deps: ServiceDeps, actor: Actor, rows: MatchRowInput[], options: { activityId?: string | undefined } = {}): Promise<{ rows: MatchedRow[] }> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers match volunteers');
  // Matching for an activity the organiser manages follows the scope of hours: whoever signed up for
  // it may be entered there, wherever they belong (records/service.ts, beyondHoursScope).
  if (options.activityId) await loadManagedActivity(deps.db, actor, options.activityId);
  const ids = [...new Set(rows.flatMap((r) => (r.id && uuidPattern.test(r.id) ? [r.id.toLowerCase()] : [])))];
  const phoneKeys = [...new Set(rows.flatMap((r) => (r.phone ? [phoneKey(r.phone)].filter((k): k is string => k !== null) : [])))];
  const names = [...new Set(rows.flatMap((r) => (r.name ? [r.name] : [])))];
  const candidates = await findMatchCandidates(deps.db, { ids, phoneKeys, names });
  const outsiders = actor.role === 'organiser' ? candidates.filter((c) => !inScope(actor, c.org_path)).map((c) => c.id) : [];
  const signedUp = options.activityId && outsiders.length > 0 ? await signedUpAmong(deps.db, options.activityId, outsiders) : new Set<string>();
  const visible = (c: MatchCandidate) => actor.role === 'admin' || (actor.role === 'organiser' && inScope(actor, c.org_path)) || signedUp.has(c.id);

  const seen = new Map<string, number>();
  const matched = rows.map((row, index): MatchedRow => {
    let found: MatchCandidate[];
    let by: 'id' | 'phone' | 'name';
    if (row.id) {
      by = 'id';
      found = candidates.filter((c) => c.id === row.id?.toLowerCase());
    } else if (row.phone) {
      by = 'phone';
      const key = phoneKey(row.phone);
      found = candidates.filter((c) => key !== null && c.phone_key === key);
    } else {
      by = 'name';
      found = candidates.filter((c) => c.name === row.name);
    }
    const inScope = found.filter(visible);
    if (inScope.length === 0) return { index, volunteer: null, by, reason: found.length > 0 ? 'out_of_scope' : 'not_found' };
    const active = inScope.filter((c) => c.status === 'active');
    const pool = active.length > 0 ? active : inScope;
    if (pool.length > 1) {
      // Two people sharing a phone (a couple, a carer) may still be told apart by the name beside it.
      const named = row.name && by !== 'name' ? pool.filter((c) => c.name === row.name) : [];
      if (named.length !== 1) return { index, volunteer: null, by, reason: 'ambiguous' };
      pool.splice(0, pool.length, named[0]!);
    }
    const person = pool[0]!;
    if (row.name && by !== 'name' && person.name !== row.name) return { index, volunteer: null, by, reason: 'mismatch' };
    if (person.status !== 'active') return { index, volunteer: null, by, reason: 'inactive' };
    const earlier = seen.get(person.id);
    if (earlier !== undefined) return { index, volunteer: null, by, reason: 'duplicate', duplicateOf: earlier };
    seen.set(person.id, index);
    return { index, volunteer: { id: person.id, name: person.name, orgUnitId: person.org_unit_id }, by, reason: null };
  });
  return { rows: matched };
}
