import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

export interface MonthlyRow {
  month: string;
  code: string;
  name: string;
  minutes: number;
  points: number;
  records: number;
  volunteers: number;
}

/**
 * Approved service of a subtree's volunteers by calendar month (of the activity's start, in the
 * programme time zone) and activity type: minutes and the points the records are worth now (after
 * corrections, which is what they credited). The same scope and counting as the summary's hours by
 * type, month by month.
 */
export async function serviceByMonth(db: Db, q: { withinPath: string | undefined; from: Date; to: Date; timeZone: string }): Promise<MonthlyRow[]> {
  const path = q.withinPath ?? null;
  const result = await sql<MonthlyRow>`
    select to_char(date_trunc('month', a.starts_at at time zone ${q.timeZone}), 'YYYY-MM') as month,
           t.code, t.name,
           sum(rv.minutes)::bigint as minutes, sum(rv.points)::bigint as points,
           count(*)::bigint as records, count(distinct s.volunteer_id)::bigint as volunteers
      from activities a
      join activity_types t on t.id = a.activity_type_id
      join service_records s on s.activity_id = a.id and s.status = 'approved'
      join service_record_versions rv on rv.record_id = s.id and rv.version = s.current_version
      join volunteers v on v.id = s.volunteer_id
      join org_units u on u.id = v.org_unit_id
     where a.starts_at >= ${q.from} and a.starts_at < ${q.to}
       and (${path}::text is null or starts_with(u.path, ${path}::text))
     group by 1, t.code, t.name
     order by 1, t.code`.execute(db);
  return result.rows;
}
