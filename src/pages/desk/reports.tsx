import type { Leaderboard, MonthsReport } from '../../reports/schemas.js';
import { BarChart, ColumnChart } from '../common/charts.js';
import { ButtonLink, Table } from '../common/components.js';
import { formatNumber, type Lang } from '../common/i18n.js';
import { deskStrings } from './strings.js';
import { hoursText } from './view.js';

/**
 * The desk's reports: a year of hours by month and activity type, the points awarded month by
 * month, the year by type, and this month's leaders. Charts are the shared ones (common/charts.tsx):
 * each draws its figures on the server and carries the table of the same figures beside it.
 */

const hours = (minutes: number) => Math.round((minutes / 60) * 100) / 100;

export function monthShort(lang: Lang, month: string): string {
  const [year, m] = month.split('-');
  return lang === 'en' ? `${m}/${year?.slice(2)}` : `${Number(m)}月`;
}

export function totalsByType(months: MonthsReport) {
  const byType = new Map<string, { typeName: string; minutes: number; records: number }>();
  for (const month of months.items) {
    for (const t of month.byType) {
      const total = byType.get(t.typeCode) ?? { typeName: t.typeName, minutes: 0, records: 0 };
      total.minutes += t.minutes;
      total.records += t.records;
      byType.set(t.typeCode, total);
    }
  }
  return [...byType.entries()].map(([typeCode, t]) => ({ typeCode, ...t })).sort((a, b) => b.minutes - a.minutes);
}

export function Reports(props: { lang: Lang; months: MonthsReport; leaderboard: Leaderboard }) {
  const t = deskStrings[props.lang];
  const { lang, months } = props;
  const types = totalsByType(months);
  return (
    <>
      <a class="back-link" href="/app/desk">
        {t.backToDesk}
      </a>
      <h1>{t.reportsTitle}</h1>
      <div class="button-row">
        <ButtonLink href="/app/desk/reports/months.csv" variant="secondary" id="months-csv">
          {t.downloadCsv}
        </ButtonLink>
      </div>
      <ColumnChart
        id="hours-chart"
        title={t.monthlyTitle}
        description={t.monthlyDescription}
        unit={t.unitHours}
        categoryHeader={t.colMonth}
        series={months.types.map((ty) => ({ key: ty.typeCode, label: ty.typeName }))}
        rows={months.items.map((m) => ({ label: m.month, values: Object.fromEntries(m.byType.map((b) => [b.typeCode, hours(b.minutes)])) }))}
        shortLabels={months.items.map((m) => monthShort(lang, m.month))}
        totalLabel={t.total}
        locale={lang}
        emptyText={t.noFigures}
      />
      <ColumnChart
        id="points-chart"
        title={t.monthlyPointsTitle}
        description={t.monthlyPointsDescription}
        unit={t.unitPoints}
        categoryHeader={t.colMonth}
        series={[{ key: 'issued', label: t.pointsIssued }]}
        rows={months.items.map((m) => ({ label: m.month, values: { issued: m.pointsIssued } }))}
        shortLabels={months.items.map((m) => monthShort(lang, m.month))}
        locale={lang}
        emptyText={t.noFigures}
      />
      <BarChart
        id="type-chart"
        title={t.byTypeTitle}
        description={t.byTypeDescription}
        unit={t.unitHours}
        categoryHeader={t.colType}
        series={[{ key: 'hours', label: t.colHours }]}
        rows={types.map((ty) => ({ label: ty.typeName, values: { hours: hours(ty.minutes) } }))}
        locale={lang}
        emptyText={t.noFigures}
      />
      <h2>{t.leaderboardTitle}</h2>
      <Table
        id="leaderboard"
        caption={t.leaderboardTitle}
        empty={t.noLeaderboard}
        head={[t.colRank, t.colName, t.colHours, t.colPoints]}
        numeric={[0, 2, 3]}
        rows={props.leaderboard.items.map((e) => [String(e.rank), <a href={`/app/desk/volunteers/${e.volunteerId}`}>{e.name}</a>, hoursText(lang, e.minutes), formatNumber(lang, e.points)])}
      />
    </>
  );
}
