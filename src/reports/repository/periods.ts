import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { PeriodKind } from '../schemas.js';

/**
 * Report queries live one file per report in this folder; this one holds the periods they share.
 * Every period is computed by PostgreSQL in the programme time zone (`date_trunc(unit,
 * day::timestamp) at time zone tz`), never in the server's local time, and every org-unit scope is a
 * prefix test on the materialised path of the volunteer's (or the activity's) unit, so a subtree
 * report cannot reach outside the subtree.
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

export interface MonthSpan {
  from: Date;
  to: Date;
  first_month: string;
  last_month: string;
  months: number;
}

/**
 * Whole calendar months from `fromMonth` to `toMonth` inclusive (YYYY-MM), in `tz`. Defaults: the
 * current month for the end, and `defaultMonths` months ending there for the start.
 */
export async function monthSpan(db: Db, tz: string, fromMonth: string | undefined, toMonth: string | undefined, defaultMonths: number): Promise<MonthSpan> {
  const result = await sql<MonthSpan>`
    select f::timestamp at time zone ${tz} as "from",
           (t + interval '1 month')::timestamp at time zone ${tz} as "to",
           to_char(f, 'YYYY-MM') as first_month,
           to_char(t, 'YYYY-MM') as last_month,
           ((extract(year from t) - extract(year from f)) * 12 + extract(month from t) - extract(month from f) + 1)::int as months
      from (select coalesce(to_date(${fromMonth ?? null}::text, 'YYYY-MM'), t0 - (${defaultMonths - 1}::int * interval '1 month'))::date as f,
                   t0 as t
              from (select coalesce(to_date(${toMonth ?? null}::text, 'YYYY-MM'), date_trunc('month', now() at time zone ${tz})::date) as t0) y) x`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('month span query returned no row');
  return row;
}
