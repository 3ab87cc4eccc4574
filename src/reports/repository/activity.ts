import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Participant } from '../schemas.js';

export interface ActivityTotals {
  signed_up: number;
  records: number;
  approved: number;
  pending: number;
  rejected: number;
  approved_minutes: number;
  points_credited: number;
  outside: number;
}

/** Totals over every participant of an activity; `scopePath` only counts those outside it. */
export async function activityTotals(db: Db, activityId: string, scopePath: string | undefined): Promise<ActivityTotals> {
  const result = await sql<ActivityTotals>`
    with recs as (
      select s.status, rv.minutes,
             (select coalesce(sum(x.credited), 0) from service_record_versions x where x.record_id = s.id) as credited
        from service_records s
        join service_record_versions rv on rv.record_id = s.id and rv.version = s.current_version
       where s.activity_id = ${activityId}
    ), people as (
      select volunteer_id from activity_signups where activity_id = ${activityId}
      union
      select volunteer_id from service_records where activity_id = ${activityId}
    )
    select (select count(*) from activity_signups where activity_id = ${activityId} and status = 'signed_up')::bigint as signed_up,
           (select count(*) from recs)::bigint as records,
           (select count(*) from recs where status = 'approved')::bigint as approved,
           (select count(*) from recs where status in ('pending', 'checked_in'))::bigint as pending,
           (select count(*) from recs where status = 'rejected')::bigint as rejected,
           (select coalesce(sum(minutes), 0) from recs where status = 'approved')::bigint as approved_minutes,
           (select coalesce(sum(credited), 0) from recs)::bigint as points_credited,
           (select count(*) from people p join volunteers v on v.id = p.volunteer_id join org_units u on u.id = v.org_unit_id
             where ${scopePath ?? null}::text is not null and not starts_with(u.path, ${scopePath ?? null}::text))::bigint as outside`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('activity totals query returned no row');
  return row;
}

/** One batch of an activity's participants (signed up or recorded), by volunteer id. */
export async function activityParticipants(db: Db, q: { activityId: string; scopePath: string | undefined; after: string | undefined; limit: number }): Promise<Participant[]> {
  const result = await sql<Participant>`
    with people as (
      select volunteer_id from activity_signups where activity_id = ${q.activityId}
      union
      select volunteer_id from service_records where activity_id = ${q.activityId}
    )
    select v.id as "volunteerId", v.name, v.org_unit_id as "orgUnitId", su.status as signup,
           s.id as "recordId", s.status as "recordStatus",
           coalesce(rv.minutes, 0)::bigint as minutes, coalesce(rv.units, 0)::bigint as units, coalesce(rv.points, 0)::bigint as points,
           coalesce((select sum(x.credited) from service_record_versions x where x.record_id = s.id), 0)::bigint as "pointsCredited"
      from people p
      join volunteers v on v.id = p.volunteer_id
      join org_units u on u.id = v.org_unit_id
      left join activity_signups su on su.activity_id = ${q.activityId} and su.volunteer_id = v.id
      left join service_records s on s.activity_id = ${q.activityId} and s.volunteer_id = v.id
      left join service_record_versions rv on rv.record_id = s.id and rv.version = s.current_version
     where ${q.after ? sql`v.id > ${q.after}::uuid` : sql`true`}
       and (${q.scopePath ?? null}::text is null or starts_with(u.path, ${q.scopePath ?? null}::text))
     order by v.id
     limit ${q.limit}`.execute(db);
  return result.rows;
}
