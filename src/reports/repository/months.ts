import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

/**
 * Month-by-month figures for a subtree (periods.ts says how months and scopes are computed): hours
 * by month and activity type, and the points issued to and redeemed by the subtree's volunteers.
 * Hours count approved service at activities that started in the month, as the summary counts them;
 * points are classified as the summary's pointFlows classifies them, so a month's figures agree
 * with the summary for that month.
 */

interface Span {
  withinPath: string | undefined;
  tz: string;
  from: Date;
  to: Date;
}

export interface MonthTypeRow {
  month: string;
  code: string;
  name: string;
  minutes: number;
  records: number;
}

export async function hoursByMonthAndType(db: Db, q: Span): Promise<MonthTypeRow[]> {
  const path = q.withinPath ?? null;
  const result = await sql<MonthTypeRow>`
    select to_char(a.starts_at at time zone ${q.tz}, 'YYYY-MM') as month, t.code, t.name,
           sum(rv.minutes)::bigint as minutes, count(*)::bigint as records
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

export interface MonthVolunteersRow {
  month: string;
  volunteers: number;
}

/** Volunteers with approved service at an activity that started in each month. */
export async function activeVolunteersByMonth(db: Db, q: Span): Promise<MonthVolunteersRow[]> {
  const path = q.withinPath ?? null;
  const result = await sql<MonthVolunteersRow>`
    select to_char(a.starts_at at time zone ${q.tz}, 'YYYY-MM') as month, count(distinct s.volunteer_id)::bigint as volunteers
      from activities a
      join service_records s on s.activity_id = a.id and s.status = 'approved'
      join volunteers v on v.id = s.volunteer_id
      join org_units u on u.id = v.org_unit_id
     where a.starts_at >= ${q.from} and a.starts_at < ${q.to}
       and (${path}::text is null or starts_with(u.path, ${path}::text))
     group by 1
     order by 1`.execute(db);
  return result.rows;
}

export interface MonthPointsRow {
  month: string;
  issued: number;
  redeemed: number;
}

/** Points issued (awards, corrections, adjustments, net of reversals) and redeemed (settled), by month. */
export async function pointsByMonth(db: Db, q: Span): Promise<MonthPointsRow[]> {
  const path = q.withinPath ?? null;
  const result = await sql<MonthPointsRow>`
    select to_char(p.created_at at time zone ${q.tz}, 'YYYY-MM') as month,
           coalesce(sum(p.amount) filter (where t.kind in ('award', 'correction', 'adjustment', 'reversal')), 0)::bigint as issued,
           coalesce(-sum(p.amount) filter (where t.kind = 'settle'), 0)::bigint as redeemed
      from accounts acc
      join volunteers v on v.id = acc.owner_id
      join org_units u on u.id = v.org_unit_id
      join ledger_postings p on p.account_id = acc.id
      join ledger_transactions t on t.id = p.transaction_id
     where acc.kind in ('volunteer', 'held')
       and p.created_at >= ${q.from} and p.created_at < ${q.to}
       and (${path}::text is null or starts_with(u.path, ${path}::text))
     group by 1
     order by 1`.execute(db);
  return result.rows;
}
