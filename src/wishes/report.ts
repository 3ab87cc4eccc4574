import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { subtreeFilter } from '../orgunits/scope.js';
import type { Db } from '../db/database.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden } from '../errors.js';
import type { CsvLayout } from '../reports/csv.js';
import { periodBounds } from '../reports/repository/periods.js';
import type { Period, PeriodKind } from '../reports/schemas.js';
import type { WishFigures, WishReport } from './schemas.js';

/** Answered within this many minutes of posting counts toward the "15-minute service circle" share. */
export const answerMinutesTarget = 15;

interface GroupRow {
  kind: 'total' | 'category' | 'orgUnit';
  category_code: string | null;
  category_name: string | null;
  org_unit_id: string | null;
  org_unit_name: string | null;
  posted: number;
  taken: number;
  done: number;
  confirmed: number;
  cancelled: number;
  expired: number;
  open: number;
  within_target: number;
  median_answer: number | null;
  median_complete: number | null;
}

/**
 * The figures of the wishes posted in [from, to) under `withinPath`, for the whole set, by category
 * and by the wish's own org unit, in one pass (grouping sets). A wish counts in the period it was
 * posted in, and its later fate counts with it: "taken" is answered at least once, "done" marked
 * done at least once; confirmed, cancelled, expired and open are its state now, an open wish past
 * its neededBy already counting as expired. Minutes are from posting to the first take, and to the
 * confirmation.
 */
async function wishGroups(db: Db, q: { withinPath: string | undefined; from: Date; to: Date }): Promise<GroupRow[]> {
  const path = q.withinPath ?? null;
  const result = await sql<GroupRow>`
    with cohort as (
      select w.category_id, w.org_unit_id, w.first_taken_at, w.done_at,
             case when w.status = 'open' and w.needed_by <= now() then 'expired' else w.status end as state,
             extract(epoch from (w.first_taken_at - w.created_at)) / 60 as answer_minutes,
             case when w.status = 'confirmed' then extract(epoch from (w.closed_at - w.created_at)) / 60 end as complete_minutes
        from wishes w
        join org_units u on u.id = w.org_unit_id
       where w.created_at >= ${q.from} and w.created_at < ${q.to}
         and (${path}::text is null or starts_with(u.path, ${path}::text))
    ), groups as (
      select grouping(category_id) as g_category, grouping(org_unit_id) as g_unit, category_id, org_unit_id,
             count(*)::bigint as posted,
             count(*) filter (where first_taken_at is not null)::bigint as taken,
             count(*) filter (where done_at is not null)::bigint as done,
             count(*) filter (where state = 'confirmed')::bigint as confirmed,
             count(*) filter (where state = 'cancelled')::bigint as cancelled,
             count(*) filter (where state = 'expired')::bigint as expired,
             count(*) filter (where state = 'open')::bigint as open,
             count(*) filter (where answer_minutes <= ${answerMinutesTarget})::bigint as within_target,
             percentile_cont(0.5) within group (order by answer_minutes) as median_answer,
             percentile_cont(0.5) within group (order by complete_minutes) as median_complete
        from cohort
       group by grouping sets ((), (category_id), (org_unit_id))
    )
    select case when g.g_category = 0 then 'category' when g.g_unit = 0 then 'orgUnit' else 'total' end as kind,
           c.code as category_code, c.name as category_name, g.org_unit_id, u.name as org_unit_name,
           g.posted, g.taken, g.done, g.confirmed, g.cancelled, g.expired, g.open, g.within_target,
           g.median_answer::float8 as median_answer, g.median_complete::float8 as median_complete
      from groups g
      left join wish_categories c on g.g_category = 0 and c.id = g.category_id
      left join org_units u on g.g_unit = 0 and u.id = g.org_unit_id
     order by kind, c.code, u.name, g.org_unit_id`.execute(db);
  return result.rows;
}

function figures(row: GroupRow | undefined): WishFigures {
  const posted = row?.posted ?? 0;
  const share = (n: number) => (posted > 0 ? n / posted : null);
  return {
    posted,
    taken: row?.taken ?? 0,
    done: row?.done ?? 0,
    confirmed: row?.confirmed ?? 0,
    cancelled: row?.cancelled ?? 0,
    expired: row?.expired ?? 0,
    open: row?.open ?? 0,
    completionRate: share(row?.confirmed ?? 0),
    answeredWithin15Minutes: row?.within_target ?? 0,
    shareAnsweredWithin15Minutes: share(row?.within_target ?? 0),
    medianMinutesToAnswer: row?.median_answer ?? null,
    medianMinutesToComplete: row?.median_complete ?? null,
  };
}

function toPeriod(kind: PeriodKind, bounds: { from: Date; to: Date; first_day: string; last_day: string }, timeZone: string): Period {
  const [year, month] = bounds.first_day.split('-');
  const label = kind === 'month' ? `${year}-${month}` : kind === 'quarter' ? `${year}-Q${Math.floor((Number(month) - 1) / 3) + 1}` : `${year}`;
  return { kind, label, firstDay: bounds.first_day, lastDay: bounds.last_day, timeZone, from: bounds.from.toISOString(), to: bounds.to.toISOString() };
}

/**
 * The wishes report of a subtree for a calendar period in the programme time zone (admins any unit
 * or the whole programme; organisers their subtree, anything else 404; others 403): how many were
 * posted, answered, done, confirmed, cancelled and expired, the completion rate, the share
 * answered within 15 minutes and the median minutes to answer and to complete, overall, by
 * category and by org unit.
 */
export async function wishReport(deps: ServiceDeps, actor: Actor, input: { orgUnitId?: string | undefined; period: PeriodKind; at?: string | undefined }): Promise<WishReport> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers read programme reports');
  const withinPath = await subtreeFilter(deps.db, actor, input.orgUnitId);
  const bounds = await periodBounds(deps.db, deps.config.PROGRAMME_TIME_ZONE, input.period, input.at);
  const rows = await wishGroups(deps.db, { withinPath, from: bounds.from, to: bounds.to });
  return {
    orgUnitId: input.orgUnitId ?? (actor.role === 'organiser' ? actor.orgUnitId : null),
    period: toPeriod(input.period, bounds, deps.config.PROGRAMME_TIME_ZONE),
    ...figures(rows.find((r) => r.kind === 'total')),
    byCategory: rows.filter((r) => r.kind === 'category').map((r) => ({ category: r.category_code ?? '', categoryName: r.category_name ?? '', ...figures(r) })),
    byOrgUnit: rows.filter((r) => r.kind === 'orgUnit').map((r) => ({ orgUnitId: r.org_unit_id ?? '', orgUnitName: r.org_unit_name ?? '', ...figures(r) })),
  };
}

/** One line of the report as CSV: the whole set, a category or an org unit, with its figures. */
export interface WishReportLine extends WishFigures {
  group: 'total' | 'category' | 'orgUnit';
  key: string;
  name: string;
}

export function wishReportLines(report: WishReport): WishReportLine[] {
  const { orgUnitId: _unit, period: _period, byCategory: _categories, byOrgUnit: _units, ...totals } = report;
  return [
    { group: 'total', key: '', name: '合计', ...totals },
    ...report.byCategory.map(({ category, categoryName, ...f }) => ({ group: 'category' as const, key: category, name: categoryName, ...f })),
    ...report.byOrgUnit.map(({ orgUnitId, orgUnitName, ...f }) => ({ group: 'orgUnit' as const, key: orgUnitId, name: orgUnitName, ...f })),
  ];
}

/** Rates as percentages and minutes to one decimal, for a sheet people read. */
const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 1000) / 10);
const oneDecimal = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

export const wishReportCsv: CsvLayout<WishReport, WishReportLine> = {
  filename: (h) => `wishes-${h.period.label}.csv`,
  preamble: (h) => [['期间 Period', `${h.period.firstDay} – ${h.period.lastDay} (${h.period.timeZone})`]],
  columns: [
    { header: '分组 group', value: (r) => r.group },
    { header: 'key', value: (r) => r.key },
    { header: '名称 name', value: (r) => r.name },
    { header: '发布 posted', value: (r) => r.posted },
    { header: '接单 taken', value: (r) => r.taken },
    { header: '完成 done', value: (r) => r.done },
    { header: '确认 confirmed', value: (r) => r.confirmed },
    { header: '取消 cancelled', value: (r) => r.cancelled },
    { header: '过期 expired', value: (r) => r.expired },
    { header: '待接单 open', value: (r) => r.open },
    { header: '完成率% completion rate', value: (r) => percent(r.completionRate) },
    { header: '15分钟内响应 answered within 15 min', value: (r) => r.answeredWithin15Minutes },
    { header: '15分钟响应率% share within 15 min', value: (r) => percent(r.shareAnsweredWithin15Minutes) },
    { header: '响应用时中位数(分钟) median minutes to answer', value: (r) => oneDecimal(r.medianMinutesToAnswer) },
    { header: '完成用时中位数(分钟) median minutes to complete', value: (r) => oneDecimal(r.medianMinutesToComplete) },
  ],
};

/**
 * The figures of one subtree for the month holding today, with no caller: what the public wall
 * shows (counts and rates only, never a name). The same cohort and the same query as the report.
 */
export async function monthFigures(deps: Pick<ServiceDeps, 'db' | 'config'>, withinPath: string): Promise<{ period: Period } & WishFigures> {
  const bounds = await periodBounds(deps.db, deps.config.PROGRAMME_TIME_ZONE, 'month', undefined);
  const rows = await wishGroups(deps.db, { withinPath, from: bounds.from, to: bounds.to });
  return { period: toPeriod('month', bounds, deps.config.PROGRAMME_TIME_ZONE), ...figures(rows.find((r) => r.kind === 'total')) };
}
