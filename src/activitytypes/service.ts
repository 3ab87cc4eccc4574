import type { Actor } from '../auth/actor.js';
import { sqlState } from '../db/errors.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { decodeCursor, pageFrom } from '../http/paging.js';
import { withRetry } from '../writes/retry.js';
import { currentRules, findActivityTypeByCode, insertActivityType, insertRule, listActivityTypes as listRows, listRules, type ActivityTypeRow, type PointRuleRow } from './repository.js';
import type { ActivityType, CreateActivityTypeInput, PointRule, RuleInput } from './schemas.js';

export function toRule(row: PointRuleRow): PointRule {
  return { id: row.id, version: row.version, kind: row.kind, points: row.points, createdAt: row.created_at.toISOString() };
}

function toActivityType(row: ActivityTypeRow, rule: PointRuleRow): ActivityType {
  return { id: row.id, code: row.code, name: row.name, rule: toRule(rule), createdAt: row.created_at.toISOString() };
}

/** Creates an activity type with version 1 of its point rule, together or not at all (admins only). */
export async function createActivityType(deps: ServiceDeps, actor: Actor, input: CreateActivityTypeInput): Promise<ActivityType> {
  if (actor.role !== 'admin') throw forbidden('only admins manage activity types');
  try {
    return await deps.db.transaction().execute(async (tx) => {
      const type = await insertActivityType(tx, { id: newId(), code: input.code, name: input.name });
      const rule = await insertRule(tx, { id: newId(), activity_type_id: type.id, version: 1, kind: input.rule.kind, points: input.rule.points, created_by: actor.id });
      return toActivityType(type, rule);
    });
  } catch (error) {
    if (sqlState(error) === '23505') throw new DomainError('conflict', `an activity type with code ${input.code} already exists`);
    throw error;
  }
}

/**
 * Changes a type's point rule by appending the next version. Existing activities keep the version
 * they were created with, so every past and pending award keeps its rule; new activities take this one.
 * The type row is locked so two changes at once get consecutive versions.
 */
export async function changeRule(deps: ServiceDeps, actor: Actor, code: string, input: RuleInput): Promise<PointRule> {
  if (actor.role !== 'admin') throw forbidden('only admins change point rules');
  return withRetry(() =>
    deps.db.transaction().execute(async (tx) => {
      const type = await findActivityTypeByCode(tx, code, true);
      if (!type) throw notFound('activity type');
      const current = (await currentRules(tx, [type.id])).get(type.id);
      const rule = await insertRule(tx, { id: newId(), activity_type_id: type.id, version: (current?.version ?? 0) + 1, kind: input.kind, points: input.points, created_by: actor.id });
      return toRule(rule);
    }),
  );
}

/** Activity types are the programme's public catalogue: every authenticated caller may read them. */
export async function getActivityType(deps: ServiceDeps, _actor: Actor, code: string): Promise<ActivityType> {
  const type = await findActivityTypeByCode(deps.db, code);
  if (!type) throw notFound('activity type');
  const rule = (await currentRules(deps.db, [type.id])).get(type.id);
  if (!rule) throw new Error(`activity type ${type.id} has no rule`);
  return toActivityType(type, rule);
}

export async function listActivityTypes(deps: ServiceDeps, _actor: Actor, query: { limit: number; cursor?: string | undefined }): Promise<{ items: ActivityType[]; nextCursor: string | null }> {
  let afterCode: string | undefined;
  if (query.cursor) {
    const [code] = decodeCursor(query.cursor, 1);
    if (typeof code !== 'string') throw validationFailed([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
    afterCode = code;
  }
  const rows = await listRows(deps.db, { afterCode, limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.code]);
  const rules = await currentRules(deps.db, page.items.map((r) => r.id));
  return {
    items: page.items.map((r) => {
      const rule = rules.get(r.id);
      if (!rule) throw new Error(`activity type ${r.id} has no rule`);
      return toActivityType(r, rule);
    }),
    nextCursor: page.nextCursor,
  };
}

/** Every version of a type's rule, newest first. */
export async function listRuleVersions(deps: ServiceDeps, _actor: Actor, code: string): Promise<{ items: PointRule[] }> {
  const type = await findActivityTypeByCode(deps.db, code);
  if (!type) throw notFound('activity type');
  return { items: (await listRules(deps.db, type.id)).map(toRule) };
}
