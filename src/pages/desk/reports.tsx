import type { Leaderboard, Monthly } from '../../reports/schemas.js';
import { ButtonLink, Table } from '../common/components.js';
import { formatNumber, type Lang } from '../common/i18n.js';
import { BarChart } from './chart.js';
import { deskStrings } from './strings.js';
import { hoursText } from './view.js';

/** The desk's reports: a year of hours and points, by month and by type, and this month's leaders. */

function monthLabel(lang: Lang, month: string): string {
  const [year, m] = month.split('-');
  return lang === 'en' ? `${m}/${year?.slice(2)}` : `${Number(m)}月`;
}

export function totalsByMonth(monthly: Monthly) {
  return monthly.months.map((month) => {
    const lines = monthly.items.filter((i) => i.month === month);
    return {
      month,
      minutes: lines.reduce((n, l) => n + l.minutes, 0),
      points: lines.reduce((n, l) => n + l.points, 0),
      records: lines.reduce((n, l) => n + l.records, 0),
    };
  });
}

export function totalsByType(monthly: Monthly) {
  const byType = new Map<string, { typeName: string; minutes: number; points: number; records: number }>();
  for (const item of monthly.items) {
    const t = byType.get(item.typeCode) ?? { typeName: item.typeName, minutes: 0, points: 0, records: 0 };
    t.minutes += item.minutes;
    t.points += item.points;
    t.records += item.records;
    byType.set(item.typeCode, t);
  }
  return [...byType.entries()].map(([typeCode, t]) => ({ typeCode, ...t })).sort((a, b) => b.minutes - a.minutes);
}

export function Reports(props: { lang: Lang; monthly: Monthly; leaderboard: Leaderboard }) {
  const t = deskStrings[props.lang];
  const months = totalsByMonth(props.monthly);
  const types = totalsByType(props.monthly);
  return (
    <>
      <a class="back-link" href="/app/desk">
        {t.backToDesk}
      </a>
      <h1>{t.reportsTitle}</h1>
      <div class="button-row">
        <ButtonLink href="/app/desk/reports/monthly.csv" variant="secondary" id="monthly-csv">
          {t.downloadCsv}
        </ButtonLink>
      </div>
      <h2 id="hours-chart-title">{t.monthlyTitle}</h2>
      <BarChart
        id="hours-chart"
        label={t.chartLabel(t.monthlyTitle)}
        bars={months.map((m) => ({ label: monthLabel(props.lang, m.month), value: m.minutes, text: hoursText(props.lang, m.minutes) }))}
      />
      <h2 id="points-chart-title">{t.monthlyPointsTitle}</h2>
      <BarChart
        id="points-chart"
        label={t.chartLabel(t.monthlyPointsTitle)}
        bars={months.map((m) => ({ label: monthLabel(props.lang, m.month), value: m.points, text: formatNumber(props.lang, m.points) }))}
      />
      <Table
        id="monthly-table"
        caption={t.chartTableCaption}
        head={[t.colMonth, t.colHours, t.colPoints, t.colRecords]}
        numeric={[1, 2, 3]}
        rows={months.map((m) => [m.month, hoursText(props.lang, m.minutes), formatNumber(props.lang, m.points), formatNumber(props.lang, m.records)])}
      />
      <h2>{t.byTypeTitle}</h2>
      <Table
        id="type-table"
        caption={t.byTypeTitle}
        empty={t.noLeaderboard}
        head={[t.colType, t.colHours, t.colPoints, t.colRecords]}
        numeric={[1, 2, 3]}
        rows={types.map((ty) => [ty.typeName, hoursText(props.lang, ty.minutes), formatNumber(props.lang, ty.points), formatNumber(props.lang, ty.records)])}
      />
      <h2>{t.leaderboardTitle}</h2>
      {props.leaderboard.items.length > 0 && (
        <BarChart
          id="leaderboard-chart"
          label={t.chartLabel(t.leaderboardTitle)}
          bars={props.leaderboard.items.map((e) => ({ label: String(e.rank), value: e.minutes, text: hoursText(props.lang, e.minutes) }))}
        />
      )}
      <Table
        id="leaderboard"
        caption={t.leaderboardTitle}
        empty={t.noLeaderboard}
        head={[t.colRank, t.colName, t.colHours, t.colPoints]}
        numeric={[0, 2, 3]}
        rows={props.leaderboard.items.map((e) => [String(e.rank), <a href={`/app/desk/volunteers/${e.volunteerId}`}>{e.name}</a>, hoursText(props.lang, e.minutes), formatNumber(props.lang, e.points)])}
      />
    </>
  );
}
