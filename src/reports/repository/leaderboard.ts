import { sql } from 'kysely';
import type { Db } from '../../db/database.js';

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
