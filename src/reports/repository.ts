import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ExportLine, MerchantLine, Participant, PeriodKind, StatementLine } from './schemas.js';

/**
 * Report queries. Every period is computed by PostgreSQL in the programme time zone
 * (`date_trunc(unit, day::timestamp) at time zone tz`), never in the server's local time, and
 * every org-unit scope is a prefix test on the materialised path of the volunteer's (or the
 * activity's) unit, so a subtree report cannot reach outside the subtree.
 */

export interface Bounds {
  from: Date;
  to: Date;
  first_day: string;
  last_day: string;
}

const step: Record<PeriodKind, string> = { month: '1 month', quarter: '3 months', year: '1 year' };

/** The calendar month, quarter or year holding `day` (default: today in `tz`). */
export async function periodBounds(db: Db, tz: string, kind: PeriodKind, day: string | undefined): Promise<Bounds> {
  const result = await sql<Bounds>`
    select start at time zone ${tz} as "from",
           (start + ${step[kind]}::interval) at time zone ${tz} as "to",
           start::date::text as first_day,
           ((start + ${step[kind]}::interval)::date - 1)::text as last_day
      from (select date_trunc(${kind}, coalesce(${day ?? null}::date, (now() at time zone ${tz})::date)::timestamp) as start) x`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('period query returned no row');
  return row;
}

/** Whole days from `fromDay` to `toDay` inclusive (defaults: the first of this month, today), in `tz`. */
export async function rangeBounds(db: Db, tz: string, fromDay: string | undefined, toDay: string | undefined): Promise<Bounds> {
  const result = await sql<Bounds>`
    select f::timestamp at time zone ${tz} as "from",
           (t + 1)::timestamp at time zone ${tz} as "to",
           f::text as first_day,
           t::text as last_day
      from (select coalesce(${fromDay ?? null}::date, date_trunc('month', now() at time zone ${tz})::date) as f,
                   coalesce(${toDay ?? null}::date, (now() at time zone ${tz})::date) as t) x`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('range query returned no row');
  return row;
}

export interface BoardRow {
  id: string;
  name: string;
  org_unit_id: string;
  minutes: number;
  points: number;
  rank: number | null;
  ranked: number;
}

/**
 * Volunteers of the subtree ranked by approved minutes at activities that started in the period,
 * or by points earned in the period (awards and record corrections, net of their reversals: the
 * same definition as an account's lifetime `earned`). Returns the top `limit` and, when `me` is
 * given, that volunteer's row wherever it falls (rank null if it has nothing to rank).
 */
export async function leaderboard(
  db: Db,
  q: { withinPath: string | undefined; from: Date; to: Date; by: 'hours' | 'points'; limit: number; me: string | undefined },
): Promise<BoardRow[]> {
  const measure = q.by === 'hours' ? sql.ref('b.minutes') : sql.ref('b.points');
  const result = await sql<BoardRow>`
    with scope as (
      select v.id, v.name, v.org_unit_id
        from volunteers v join org_units u on u.id = v.org_unit_id
       where ${q.withinPath ?? null}::text is null or starts_with(u.path, ${q.withinPath ?? null}::text)
    ), hours as (
      select s.volunteer_id, sum(rv.minutes)::bigint as minutes
        from activities a
        join service_records s on s.activity_id = a.id and s.status = 'approved'
        join service_record_versions rv on rv.record_id = s.id and rv.version = s.current_version
       where a.starts_at >= ${q.from} and a.starts_at < ${q.to}
       group by s.volunteer_id
    ), points as (
      select p.account_id as volunteer_id, sum(p.amount)::bigint as points
        from ledger_transactions t
        join ledger_postings p on p.transaction_id = t.id
        join accounts acc on acc.id = p.account_id and acc.kind = 'volunteer'
        left join ledger_transactions o on o.id = t.reverses_id
       where t.created_at >= ${q.from} and t.created_at < ${q.to}
         and (t.kind in ('award', 'correction') or o.kind in ('award', 'correction'))
       group by p.account_id
    ), board as (
      select s.id, s.name, s.org_unit_id, coalesce(h.minutes, 0)::bigint as minutes, coalesce(pt.points, 0)::bigint as points
        from scope s
        left join hours h on h.volunteer_id = s.id
        left join points pt on pt.volunteer_id = s.id
    ), ranked as (
      select b.*, rank() over (order by ${measure} desc)::bigint as rank, row_number() over (order by ${measure} desc, b.id) as position,
             count(*) over ()::bigint as ranked
        from board b where ${measure} > 0
    )
    select id, name, org_unit_id, minutes, points, rank, ranked from ranked where position <= ${q.limit} or id = ${q.me ?? null}::uuid
    union all
    select b.id, b.name, b.org_unit_id, b.minutes, b.points, null, (select count(*) from ranked)::bigint
      from board b where b.id = ${q.me ?? null}::uuid and not exists (select 1 from ranked r where r.id = b.id)
    order by rank nulls last, id`.execute(db);
  return result.rows;
}

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

export interface AccountPeriod {
  upto: number;
  opening: number;
  credits: number;
  debits: number;
  entries: number;
}

/**
 * An account's position over a period, counted only up to posting `upto` (its entry count when the
 * report began), so the figures and the lines streamed after them describe the same postings even
 * while new ones arrive.
 */
export async function accountPeriod(db: Db, accountId: string, from: Date, to: Date): Promise<AccountPeriod> {
  const result = await sql<AccountPeriod>`
    with acct as (select entry_count as upto from accounts where id = ${accountId})
    select acct.upto,
           coalesce(sum(p.amount) filter (where p.created_at < ${from}), 0)::bigint as opening,
           coalesce(sum(p.amount) filter (where p.created_at >= ${from} and p.created_at < ${to} and p.amount > 0), 0)::bigint as credits,
           coalesce(sum(p.amount) filter (where p.created_at >= ${from} and p.created_at < ${to} and p.amount < 0), 0)::bigint as debits,
           count(*) filter (where p.created_at >= ${from} and p.created_at < ${to})::bigint as entries
      from acct left join ledger_postings p on p.account_id = ${accountId} and p.seq <= acct.upto
     group by acct.upto`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error(`account ${accountId} not found`);
  return row;
}

/** Sum of an account's postings before `to`, for a second account shown beside a statement (held points). */
export async function accountBalanceBefore(db: Db, accountId: string, to: Date): Promise<number> {
  const result = await sql<{ total: number }>`select coalesce(sum(amount), 0)::bigint as total from ledger_postings where account_id = ${accountId} and created_at < ${to}`.execute(db);
  return result.rows[0]?.total ?? 0;
}

/** A batch of an account's postings in the period, in chain order after sequence `after`. */
export async function statementLines(db: Db, q: { accountId: string; tz: string; from: Date; to: Date; upto: number; after: number | undefined; limit: number }): Promise<StatementLine[]> {
  const result = await sql<Omit<StatementLine, 'createdAt'> & { createdAt: Date }>`
    select p.seq, p.transaction_id as "transactionId", t.created_at as "createdAt",
           to_char(t.created_at at time zone ${q.tz}, 'YYYY-MM-DD HH24:MI') as "localTime", t.kind, t.memo, t.reference, p.amount, p.balance_after as "balanceAfter"
      from ledger_postings p
      join ledger_transactions t on t.id = p.transaction_id
     where p.account_id = ${q.accountId} and p.seq > ${q.after ?? 0} and p.seq <= ${q.upto}
       and p.created_at >= ${q.from} and p.created_at < ${q.to}
     order by p.seq
     limit ${q.limit}`.execute(db);
  return result.rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

export interface VolunteerHours {
  in_period: number;
  to_date: number;
}

export async function volunteerHours(db: Db, volunteerId: string, from: Date, to: Date): Promise<VolunteerHours> {
  const result = await sql<VolunteerHours>`
    select coalesce(sum(rv.minutes) filter (where a.starts_at >= ${from}), 0)::bigint as in_period,
           coalesce(sum(rv.minutes), 0)::bigint as to_date
      from service_records s
      join service_record_versions rv on rv.record_id = s.id and rv.version = s.current_version
      join activities a on a.id = s.activity_id
     where s.volunteer_id = ${volunteerId} and s.status = 'approved' and a.starts_at < ${to}`.execute(db);
  return result.rows[0] ?? { in_period: 0, to_date: 0 };
}

export interface ExportCursor {
  createdAt: string;
  transactionId: string;
}

/**
 * A batch of ledger postings for the export: `transactions` whole transactions after the cursor in
 * (time, id) order, served by the ledger_transactions (created_at, id) index, with their postings.
 * Time travels as text with microseconds, and is bound as text (postgres.js turns a parameter
 * typed timestamptz into a JavaScript Date, which keeps only milliseconds): a rounded cursor would
 * make the keyset repeat every transaction of the same instant.
 */
export async function exportLines(db: Db, q: { from: Date; to: Date; after: ExportCursor | undefined; transactions: number }): Promise<ExportLine[]> {
  // The lower bound is one plain range condition (never `cursor is null or ...`), so every batch is
  // an index range scan that starts where the last one ended, rather than a rescan from `from`.
  const after = q.after
    ? sql`(created_at, id) > (${q.after.createdAt}::text::timestamptz, ${q.after.transactionId}::uuid)`
    : sql`created_at >= ${q.from}`;
  const result = await sql<ExportLine>`
    select p.id as "postingId", t.id as "transactionId",
           to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "createdAt",
           t.kind, p.account_id as "accountId", a.kind as "accountKind", a.owner_id as "ownerId", p.seq, p.amount,
           p.balance_after as "balanceAfter", t.reverses_id as "reversesTransactionId", t.reference, t.memo
      from (
        select id, kind, created_at, reverses_id, reference, memo
          from ledger_transactions
         where created_at < ${q.to} and ${after}
         order by created_at, id
         limit ${q.transactions}
      ) t
      -- A lateral subquery with OFFSET 0 cannot be flattened into a hash join, so each batch reads
      -- its transactions' postings through the transaction index instead of scanning the table.
      cross join lateral (
        select id, account_id, seq, amount, balance_after from ledger_postings where transaction_id = t.id offset 0
      ) p
      join accounts a on a.id = p.account_id
     order by t.created_at, t.id, p.id`.execute(db);
  return result.rows;
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

export interface MerchantPeriod {
  upto: number;
  opening: number;
  redeemed_count: number;
  redeemed_points: number;
  settled_count: number;
  settled_points: number;
  other_points: number;
}

/**
 * A merchant's owed account over a period, up to posting `upto` (as for volunteer statements):
 * settle postings are redemptions (owed grows), payout postings are settlements (owed shrinks).
 */
export async function merchantPeriod(db: Db, accountId: string, from: Date, to: Date): Promise<MerchantPeriod> {
  const result = await sql<MerchantPeriod>`
    with acct as (select entry_count as upto from accounts where id = ${accountId}),
    lines as (
      select p.amount, p.created_at, t.kind
        from acct join ledger_postings p on p.account_id = ${accountId} and p.seq <= acct.upto
        join ledger_transactions t on t.id = p.transaction_id
       where p.created_at < ${to}
    )
    select (select upto from acct) as upto,
           coalesce(sum(amount) filter (where created_at < ${from}), 0)::bigint as opening,
           count(*) filter (where created_at >= ${from} and kind = 'settle')::bigint as redeemed_count,
           coalesce(sum(amount) filter (where created_at >= ${from} and kind = 'settle'), 0)::bigint as redeemed_points,
           count(*) filter (where created_at >= ${from} and kind = 'payout')::bigint as settled_count,
           coalesce(-sum(amount) filter (where created_at >= ${from} and kind = 'payout'), 0)::bigint as settled_points,
           coalesce(sum(amount) filter (where created_at >= ${from} and kind not in ('settle', 'payout')), 0)::bigint as other_points
      from lines`.execute(db);
  const row = result.rows[0];
  if (!row || row.upto === null) throw new Error(`account ${accountId} not found`);
  return row;
}

/** A batch of a merchant's statement lines: its account's postings with the redemption and pack, or the settlement, behind each. */
export async function merchantLines(db: Db, q: { accountId: string; from: Date; to: Date; upto: number; after: number | undefined; limit: number }): Promise<MerchantLine[]> {
  const result = await sql<Omit<MerchantLine, 'createdAt'> & { createdAt: Date }>`
    select p.seq, p.transaction_id as "transactionId", t.created_at as "createdAt",
           case t.kind when 'settle' then 'redemption' when 'payout' then 'settlement' else 'other' end as kind,
           r.id as "redemptionId", pk.id as "packId", pk.title as "packTitle",
           p.amount as points, p.balance_after as "owedAfter",
           coalesce(st.reference, t.reference) as reference
      from ledger_postings p
      join ledger_transactions t on t.id = p.transaction_id
      -- A settle transaction's reference is its redemption's id (a uuid by construction).
      left join redemptions r on t.kind = 'settle' and r.id = case when t.kind = 'settle' then t.reference::uuid end
      left join packs pk on pk.id = r.pack_id
      left join settlements st on st.transaction_id = t.id
     where p.account_id = ${q.accountId} and p.seq > ${q.after ?? 0} and p.seq <= ${q.upto}
       and p.created_at >= ${q.from} and p.created_at < ${q.to}
     order by p.seq
     limit ${q.limit}`.execute(db);
  return result.rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}
