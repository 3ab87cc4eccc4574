import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

export interface StarCountRow {
  level: number;
  volunteers: number;
}

/**
 * Active volunteers of a subtree by star level now: a volunteer's level is the number of thresholds
 * (in minutes, ascending) its approved service minutes reach, the rule volunteers/stars.ts states.
 * Levels nobody holds are absent; the service fills them in.
 */
export async function starCounts(db: Db, q: { withinPath: string | undefined; thresholdsMinutes: number[] }): Promise<StarCountRow[]> {
  const path = q.withinPath ?? null;
  const result = await sql<StarCountRow>`
    select (select count(*) from unnest(${q.thresholdsMinutes}::bigint[]) th where v.service_minutes >= th)::int as level,
           count(*)::bigint as volunteers
      from volunteers v
      join org_units u on u.id = v.org_unit_id
     where v.status = 'active'
       and (${path}::text is null or starts_with(u.path, ${path}::text))
     group by 1
     order by 1`.execute(db);
  return result.rows;
}
