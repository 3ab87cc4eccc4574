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
