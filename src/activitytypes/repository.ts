import type { Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import type { ActivityTypesTable, PointRulesTable } from '../db/types.js';

export type ActivityTypeRow = Selectable<ActivityTypesTable>;
export type PointRuleRow = Selectable<PointRulesTable>;

export async function findActivityTypeByCode(db: Db | Tx, code: string, lock = false): Promise<ActivityTypeRow | undefined> {
  let q = db.selectFrom('activity_types').selectAll().where('code', '=', code);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** The newest rule version of each given type. */
export async function currentRules(db: Db | Tx, typeIds: string[]): Promise<Map<string, PointRuleRow>> {
  if (typeIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('point_rules')
    .selectAll()
    .distinctOn('activity_type_id')
    .where('activity_type_id', 'in', typeIds)
    .orderBy('activity_type_id')
    .orderBy('version', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.activity_type_id, r]));
}

export async function insertActivityType(db: Tx, row: { id: string; code: string; name: string }): Promise<ActivityTypeRow> {
  return db.insertInto('activity_types').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function insertRule(db: Tx, row: Omit<PointRuleRow, 'created_at'>): Promise<PointRuleRow> {
  return db.insertInto('point_rules').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listActivityTypes(db: Db, filter: { afterCode?: string | undefined; limit: number }): Promise<ActivityTypeRow[]> {
  let q = db.selectFrom('activity_types').selectAll().orderBy('code').limit(filter.limit + 1);
  if (filter.afterCode) q = q.where('code', '>', filter.afterCode);
  return q.execute();
}

export async function listRules(db: Db, typeId: string): Promise<PointRuleRow[]> {
  return db.selectFrom('point_rules').selectAll().where('activity_type_id', '=', typeId).orderBy('version', 'desc').execute();
}
