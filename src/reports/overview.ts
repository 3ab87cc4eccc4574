import type { Actor } from '../auth/actor.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, validationFailed } from '../errors.js';
import { keysetBatches, type ReportDocument } from './csv.js';
import { merchantBalances, merchantBalanceTotals } from './repository/merchant-balances.js';
import { activeVolunteersByMonth, hoursByMonthAndType, pointsByMonth } from './repository/months.js';
import { monthSpan } from './repository/periods.js';
import { starCounts } from './repository/stars.js';
import { exportBatchRows, monthsDefault, monthsMax, type MerchantBalance, type MerchantBalances, type MonthFigures, type MonthsReport, type StarLevels } from './schemas.js';
import { hoursOf } from '../volunteers/hours.js';
import { dayRange, reportScope } from './service.js';

/**
 * The figures the programme office (and an organiser's desk, for its subtree) draws as charts:
 * month by month, volunteers by star level, and what each merchant is owed.
 */

/** The months from `first` to `last` (YYYY-MM), inclusive, in order. */
export function monthsBetween(first: string, last: string): string[] {
  const [fy, fm] = first.split('-').map(Number) as [number, number];
  const [ly, lm] = last.split('-').map(Number) as [number, number];
  const out: string[] = [];
  for (let i = fy * 12 + fm - 1; i <= ly * 12 + lm - 1; i++) out.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  return out;
}

/**
 * Hours by month and activity type, active volunteers and points issued and redeemed, for every
 * month of a span (admins: any unit or the whole programme; organisers: their subtree, other units
 * 404). A span runs at most monthsMax months; `from` after `to` is refused. Every month appears,
 * with zeros when nothing happened, so a chart's axis has no gaps.
 */
export async function monthsReport(deps: ServiceDeps, actor: Actor, input: { orgUnitId?: string | undefined; from?: string | undefined; to?: string | undefined }): Promise<MonthsReport> {
  const withinPath = await reportScope(deps, actor, input.orgUnitId);
  const tz = deps.config.PROGRAMME_TIME_ZONE;
  const span = await monthSpan(deps.db, tz, input.from, input.to, monthsDefault);
  if (span.months < 1) throw validationFailed([{ path: 'query.from', message: 'must not be after `to`' }]);
  if (span.months > monthsMax) throw validationFailed([{ path: 'query.from', message: `the span may cover at most ${monthsMax} months` }]);
  const q = { withinPath, tz, from: span.from, to: span.to };
  const [hours, volunteers, points] = await Promise.all([hoursByMonthAndType(deps.db, q), activeVolunteersByMonth(deps.db, q), pointsByMonth(deps.db, q)]);
  const types = new Map<string, string>();
  for (const h of hours) types.set(h.code, h.name);
  const items: MonthFigures[] = monthsBetween(span.first_month, span.last_month).map((month) => {
    const byType = hours.filter((h) => h.month === month).map((h) => ({ typeCode: h.code, typeName: h.name, minutes: h.minutes, hours: hoursOf(h.minutes), records: h.records }));
    const minutes = byType.reduce((s, t) => s + t.minutes, 0);
    const flows = points.find((p) => p.month === month);
    return {
      month,
      minutes,
      hours: hoursOf(minutes),
      records: byType.reduce((s, t) => s + t.records, 0),
      volunteers: volunteers.find((v) => v.month === month)?.volunteers ?? 0,
      pointsIssued: flows?.issued ?? 0,
      pointsRedeemed: flows?.redeemed ?? 0,
      byType,
    };
  });
  return {
    orgUnitId: input.orgUnitId ?? (actor.role === 'organiser' ? actor.orgUnitId : null),
    timeZone: tz,
    from: span.first_month,
    to: span.last_month,
    types: [...types].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([typeCode, typeName]) => ({ typeCode, typeName })),
    items,
  };
}

/**
 * Active volunteers of a subtree by star level now, every level listed (admins; organisers their
 * subtree). Levels follow the programme's thresholds, as balances and certificates do.
 */
export async function starLevelsReport(deps: ServiceDeps, actor: Actor, input: { orgUnitId?: string | undefined }): Promise<StarLevels> {
  const withinPath = await reportScope(deps, actor, input.orgUnitId);
  const thresholds = [...deps.config.STAR_THRESHOLDS_HOURS];
  const rows = await starCounts(deps.db, { withinPath, thresholdsMinutes: thresholds.map((h) => Math.round(h * 60)) });
  const items = [0, ...thresholds].map((fromHours, level) => ({ level, fromHours, volunteers: rows.find((r) => r.level === level)?.volunteers ?? 0 }));
  return {
    orgUnitId: input.orgUnitId ?? (actor.role === 'organiser' ? actor.orgUnitId : null),
    thresholdsHours: thresholds,
    volunteers: items.reduce((s, i) => s + i.volunteers, 0),
    items,
  };
}

/**
 * What the programme owes each merchant now, what it has settled since the start, and each one's
 * redemptions and settlements in a range of days (admins only: the office pays the shops). Rows
 * stream in registration order, a batch per query; the totals are computed first, so a refusal is
 * still a problem response.
 */
export async function merchantBalancesReport(
  deps: ServiceDeps,
  actor: Actor,
  input: { from?: string | undefined; to?: string | undefined },
): Promise<ReportDocument<Omit<MerchantBalances, 'items'>, MerchantBalance>> {
  if (actor.role !== 'admin') throw forbidden('only admins read what every merchant is owed');
  const { bounds, period } = await dayRange(deps, input);
  const t = await merchantBalanceTotals(deps.db, { from: bounds.from, to: bounds.to });
  return {
    head: {
      period,
      totals: {
        merchants: t.merchants,
        owed: t.owed,
        settledTotal: t.settled_total,
        redeemedCount: t.redeemed_count,
        redeemedPoints: t.redeemed_points,
        settledCount: t.settled_count,
        settledPoints: t.settled_points,
      },
    },
    batches: keysetBatches((after: string | undefined, limit) => merchantBalances(deps.db, { from: bounds.from, to: bounds.to, after, limit }), (r) => r.merchantId, exportBatchRows),
  };
}
