import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { StatementLine } from '../schemas.js';

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
