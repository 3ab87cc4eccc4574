import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

/** The programme summary's figures for a subtree and period (periods.ts says how periods and scopes are computed). */

export interface SummaryCounts {
  registered: number;
  new_volunteers: number;
  active: number;
  activities_held: number;
}

export async function summaryCounts(db: Db, q: { withinPath: string | undefined; from: Date; to: Date }): Promise<SummaryCounts> {
  const path = q.withinPath ?? null;
  const result = await sql<SummaryCounts>`
    with scope as (
      select v.id, v.created_at from volunteers v join org_units u on u.id = v.org_unit_id
       where ${path}::text is null or starts_with(u.path, ${path}::text)
    )
    select (select count(*) from scope where created_at < ${q.to})::bigint as registered,
           (select count(*) from scope where created_at >= ${q.from} and created_at < ${q.to})::bigint as new_volunteers,
           (select count(distinct s.volunteer_id)
              from activities a
              join service_records s on s.activity_id = a.id and s.status = 'approved'
              join scope on scope.id = s.volunteer_id
             where a.starts_at >= ${q.from} and a.starts_at < ${q.to})::bigint as active,
           (select count(*)
              from activities a join org_units u on u.id = a.org_unit_id
             where a.starts_at >= ${q.from} and a.starts_at < ${q.to} and a.status <> 'cancelled'
               and (${path}::text is null or starts_with(u.path, ${path}::text)))::bigint as activities_held`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('summary query returned no row');
  return row;
}

export interface HoursByTypeRow {
  code: string;
  name: string;
  minutes: number;
  records: number;
  volunteers: number;
}

export async function hoursByType(db: Db, q: { withinPath: string | undefined; from: Date; to: Date }): Promise<HoursByTypeRow[]> {
  const path = q.withinPath ?? null;
  const result = await sql<HoursByTypeRow>`
    select t.code, t.name, sum(rv.minutes)::bigint as minutes, count(*)::bigint as records, count(distinct s.volunteer_id)::bigint as volunteers
      from activities a
      join activity_types t on t.id = a.activity_type_id
      join service_records s on s.activity_id = a.id and s.status = 'approved'
      join service_record_versions rv on rv.record_id = s.id and rv.version = s.current_version
      join volunteers v on v.id = s.volunteer_id
      join org_units u on u.id = v.org_unit_id
     where a.starts_at >= ${q.from} and a.starts_at < ${q.to}
       and (${path}::text is null or starts_with(u.path, ${path}::text))
     group by t.code, t.name
     order by t.code`.execute(db);
  return result.rows;
}

export interface PointFlows {
  opening: number;
  issued: number;
  redeemed: number;
  other: number;
  issued_to_date: number;
  redeemed_to_date: number;
  other_to_date: number;
  outstanding: number;
  held: number;
}

/**
 * Point flows of the subtree's volunteers, from their ledger postings (spendable and held
 * accounts together, so a claim's reserve and release, which move points between a volunteer's own
 * two accounts, cancel out). Every posting lands in exactly one class: issued (awards, corrections,
 * adjustments and reversals of them: the programme's side), redeemed (settled to a merchant), or
 * other, which is what would be "expired". Hence, exactly, issued - redeemed - other = outstanding
 * to date, and opening + the period's issued - redeemed - other = outstanding at its end.
 */
export async function pointFlows(db: Db, q: { withinPath: string | undefined; from: Date; to: Date }): Promise<PointFlows> {
  const path = q.withinPath ?? null;
  const result = await sql<PointFlows>`
    with accts as (
      select a.id, a.kind
        from accounts a
        join volunteers v on v.id = a.owner_id
        join org_units u on u.id = v.org_unit_id
       where a.kind in ('volunteer', 'held') and (${path}::text is null or starts_with(u.path, ${path}::text))
    ), lines as (
      select p.amount, p.created_at, acc.kind as account_kind,
             case when t.kind in ('award', 'correction', 'adjustment', 'reversal') then 'issued'
                  when t.kind = 'settle' then 'redeemed'
                  else 'other' end as class
        from accts acc
        join ledger_postings p on p.account_id = acc.id
        join ledger_transactions t on t.id = p.transaction_id
       where p.created_at < ${q.to}
    )
    select coalesce(sum(amount) filter (where created_at < ${q.from}), 0)::bigint as opening,
           coalesce(sum(amount) filter (where created_at >= ${q.from} and class = 'issued'), 0)::bigint as issued,
           coalesce(-sum(amount) filter (where created_at >= ${q.from} and class = 'redeemed'), 0)::bigint as redeemed,
           coalesce(-sum(amount) filter (where created_at >= ${q.from} and class = 'other'), 0)::bigint as other,
           coalesce(sum(amount) filter (where class = 'issued'), 0)::bigint as issued_to_date,
           coalesce(-sum(amount) filter (where class = 'redeemed'), 0)::bigint as redeemed_to_date,
           coalesce(-sum(amount) filter (where class = 'other'), 0)::bigint as other_to_date,
           coalesce(sum(amount), 0)::bigint as outstanding,
           coalesce(sum(amount) filter (where account_kind = 'held'), 0)::bigint as held
      from lines`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('point flow query returned no row');
  return row;
}

export interface ClaimsExpired {
  count: number;
  points: number;
}

/** Claims by the subtree's volunteers released as expired in the period (their release time is the ledger's). */
export async function claimsExpired(db: Db, q: { withinPath: string | undefined; from: Date; to: Date }): Promise<ClaimsExpired> {
  const path = q.withinPath ?? null;
  const result = await sql<ClaimsExpired>`
    select count(*)::bigint as count, coalesce(sum(r.points), 0)::bigint as points
      from redemptions r
      join volunteers v on v.id = r.volunteer_id
      join org_units u on u.id = v.org_unit_id
     where r.status = 'expired' and r.resolved_at >= ${q.from} and r.resolved_at < ${q.to}
       and (${path}::text is null or starts_with(u.path, ${path}::text))`.execute(db);
  return result.rows[0] ?? { count: 0, points: 0 };
}

export interface RedemptionGroup {
  merchant_id: string;
  merchant_name: string;
  pack_id: string;
  pack_title: string;
  count: number;
  points: number;
}

/**
 * Redemptions by the subtree's volunteers in the period, by merchant and pack. A redemption's
 * resolved_at is its settle transaction's time (both are the same database transaction's now()),
 * so these points add up to the period's `redeemed` from the ledger.
 */
export async function redemptionsByPack(db: Db, q: { withinPath: string | undefined; from: Date; to: Date }): Promise<RedemptionGroup[]> {
  const path = q.withinPath ?? null;
  const result = await sql<RedemptionGroup>`
    select m.id as merchant_id, m.name as merchant_name, p.id as pack_id, p.title as pack_title,
           count(*)::bigint as count, sum(r.points)::bigint as points
      from redemptions r
      join packs p on p.id = r.pack_id
      join merchants m on m.id = r.merchant_id
      join volunteers v on v.id = r.volunteer_id
      join org_units u on u.id = v.org_unit_id
     where r.status = 'redeemed' and r.resolved_at >= ${q.from} and r.resolved_at < ${q.to}
       and (${path}::text is null or starts_with(u.path, ${path}::text))
     group by m.id, m.name, p.id, p.title
     order by m.name, m.id, p.title, p.id`.execute(db);
  return result.rows;
}
