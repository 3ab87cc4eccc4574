import type { MonthsReport, StarLevels, Summary } from '../../reports/schemas.js';
import { BarChart, ColumnChart, LineChart } from '../common/charts.js';
import { Button, SummaryList } from '../common/components.js';
import { formatNumber, type Lang } from '../common/i18n.js';
import { BackToOffice } from './home.js';
import { officeStrings } from './strings.js';

const hours = (minutes: number) => Math.round((minutes / 60) * 10) / 10;

export interface SummaryQuery {
  period: 'month' | 'quarter' | 'year';
  at: string;
}

/** The query string the exports and the form share. */
export const summaryQueryString = (q: SummaryQuery) => new URLSearchParams({ period: q.period, ...(q.at ? { at: q.at } : {}) }).toString();

/**
 * The programme summary: the period's points and volunteers as figures, then charts (each with its
 * table) of hours by month and type, points by month, redemptions by shop, star levels and hours by
 * type, then the same figures as spreadsheets.
 */
export function SummaryPage(props: { lang: Lang; query: SummaryQuery; atError?: string | undefined; summary: Summary; months: MonthsReport; stars: StarLevels }) {
  const { lang, summary, months, stars } = props;
  const t = officeStrings[lang];
  const n = (v: number) => formatNumber(lang, v);
  const p = summary.points;
  const byShop = new Map<string, { label: string; points: number; count: number }>();
  for (const r of summary.redemptions) {
    const shop = byShop.get(r.merchantId) ?? { label: r.merchantName, points: 0, count: 0 };
    shop.points += r.points;
    shop.count += r.count;
    byShop.set(r.merchantId, shop);
  }
  const typeSeries = months.types.map((type) => ({ key: type.typeCode, label: type.typeName }));
  const qs = summaryQueryString(props.query);
  return (
    <>
      <BackToOffice lang={lang} />
      <h1>{t.summaryTitle}</h1>
      <form method="get" action="/app/office/summary" class="filters no-print">
        <div class="field">
          <label class="label" for="period">
            {t.periodLabel}
          </label>
          <select class="input" id="period" name="period">
            {(['month', 'quarter', 'year'] as const).map((k) => (
              <option value={k} selected={props.query.period === k}>
                {k === 'month' ? t.periodMonth : k === 'quarter' ? t.periodQuarter : t.periodYear}
              </option>
            ))}
          </select>
        </div>
        <div class={props.atError ? 'field field-error' : 'field'}>
          <label class="label" for="at">
            {t.atLabel}
          </label>
          <p class="hint" id="at-hint">
            {t.atHint}
          </p>
          {props.atError && (
            <p class="error-message" id="at-error">
              {props.atError}
            </p>
          )}
          <input class="input" id="at" name="at" type="text" inputmode="numeric" value={props.query.at} aria-describedby={props.atError ? 'at-hint at-error' : 'at-hint'} aria-invalid={props.atError ? 'true' : undefined} />
        </div>
        <Button variant="secondary">{t.show}</Button>
      </form>
      <p class="lead" id="period-shown">
        {t.periodIs(summary.period.firstDay, summary.period.lastDay)}
      </p>

      <h2>{t.pointsHeading}</h2>
      <SummaryList
        rows={[
          [t.opening, n(p.opening)],
          [t.issued, <span id="points-issued">{n(p.issued)}</span>],
          [t.redeemed, <span id="points-redeemed">{n(p.redeemed)}</span>],
          [t.closing, <span id="points-outstanding">{n(p.outstanding)}</span>],
          [t.heldNow, <span id="points-held">{n(p.held)}</span>],
        ]}
      />
      <h2>{t.volunteersHeading}</h2>
      <SummaryList
        rows={[
          [t.registered, n(summary.volunteers.registered)],
          [t.active, n(summary.volunteers.active)],
          [t.newVolunteers, n(summary.volunteers.new)],
          [t.activitiesHeld, n(summary.activitiesHeld)],
        ]}
      />

      <ColumnChart
        id="chart-hours-months"
        title={t.chartHoursByMonth}
        description={t.chartHoursByMonthDesc}
        unit={t.unitHours}
        categoryHeader={t.month}
        series={typeSeries}
        rows={months.items.map((m) => ({ label: m.month, values: Object.fromEntries(m.byType.map((b) => [b.typeCode, hours(b.minutes)])) }))}
        shortLabels={months.items.map((m) => t.monthShort(m.month))}
        locale={lang}
        totalLabel={t.total}
        emptyText={t.noData}
        stacked
      />
      <LineChart
        id="chart-points-months"
        title={t.chartPointsByMonth}
        description={t.chartPointsByMonthDesc}
        unit={t.unitPoints}
        categoryHeader={t.month}
        series={[
          { key: 'issued', label: t.issued },
          { key: 'redeemed', label: t.redeemed },
        ]}
        rows={months.items.map((m) => ({ label: m.month, values: { issued: m.pointsIssued, redeemed: m.pointsRedeemed } }))}
        shortLabels={months.items.map((m) => t.monthShort(m.month))}
        locale={lang}
        emptyText={t.noData}
      />
      <BarChart
        id="chart-shops"
        title={t.chartShops}
        description={t.chartShopsDesc}
        unit={t.unitPoints}
        categoryHeader={t.shop}
        series={[{ key: 'points', label: t.redeemed }]}
        rows={[...byShop.values()].sort((a, b) => b.points - a.points).map((s) => ({ label: s.label, values: { points: s.points } }))}
        locale={lang}
        emptyText={t.noData}
      />
      <BarChart
        id="chart-stars"
        title={t.chartStars}
        description={t.chartStarsDesc}
        unit={t.unitPeople}
        categoryHeader={t.starLevel}
        series={[{ key: 'volunteers', label: t.volunteers }]}
        rows={stars.items.map((s) => ({ label: t.starName(s.level), values: { volunteers: s.volunteers } }))}
        locale={lang}
        emptyText={t.noData}
      />
      <BarChart
        id="chart-types"
        title={t.chartTypes}
        description={t.chartTypesDesc}
        unit={t.unitHours}
        categoryHeader={t.activityType}
        series={[{ key: 'hours', label: t.hours }]}
        rows={summary.hoursByType.map((h) => ({ label: h.typeName, values: { hours: hours(h.minutes) } }))}
        locale={lang}
        emptyText={t.noData}
      />

      <h2 class="no-print">{t.exportsHeading}</h2>
      <ul class="no-print">
        <li>
          <a href={`/app/office/exports/summary.csv?${qs}`} download>
            {t.exportSummary}
          </a>
        </li>
        <li>
          <a href={`/app/office/exports/months.csv?${qs}`} download>
            {t.exportMonths}
          </a>
        </li>
        <li>
          <a href="/app/office/exports/star-levels.csv" download>
            {t.exportStars}
          </a>
        </li>
        <li>
          <a href={`/app/office/exports/merchants.csv?from=${summary.period.firstDay}&to=${summary.period.lastDay}`} download>
            {t.exportShops}
          </a>
        </li>
      </ul>
    </>
  );
}
