/**
 * Charts for the office and the desk: SVG drawn on the server from the figures, with no script.
 *
 * Each chart is a <figure> holding the picture and, beside it, a table of the very same figures, so
 * a screen reader, a person who prefers numbers, and a printout all get them. The SVG is
 * role="img" with a <title> and a <desc> that says in words what the picture shows (largest and
 * smallest, totals). Colour is never the only signal: each series also has its own pattern (bars)
 * or dash and marker shape (lines), the legend names them in text, and every series colour has at
 * least 3:1 contrast against the white background (WCAG 1.4.11), the text at least 4.5:1.
 *
 * The drawing is 360 units wide, the narrowest phone the pages are built for; it scales to its
 * container (up to a maximum width set by the page's stylesheet), so its text is the size the page's
 * own text is on a phone. Category labels sit on their own line above horizontal bars so long shop
 * or type names are never cut.
 *
 * Pure functions of their props: the same figures always draw the same markup (ids come from the
 * caller's `id`, so two charts on a page never share one).
 */
import type { Child } from 'hono/jsx';

/** One series (a measure or a part of a stack): its key in the data and its label for people. */
export interface ChartSeries {
  key: string;
  label: string;
}

/** One category (a shop, an activity type, a month) and its value for each series, by key. */
export interface ChartRow {
  label: string;
  values: Record<string, number>;
}

export interface ChartProps {
  /** Unique on the page; prefixes every id inside the chart. Letters, digits and dashes. */
  id: string;
  title: string;
  /** What the figures are, said in a sentence; the summary of extremes is added after it. */
  description: string;
  /** The unit after each number ("积分", "小时", "人"). */
  unit: string;
  /** The header of the table's first column ("商户", "月份"). */
  categoryHeader: string;
  series: ChartSeries[];
  rows: ChartRow[];
  /** For number formatting (zh-CN, en). */
  locale: string;
  /** The header of the total column and the word for "total" in the description (stacked charts). */
  totalLabel?: string;
  /** Shown instead of a chart when there are no figures at all. */
  emptyText: string;
}

/**
 * Series colours, chosen from a colour-blind-safe palette and darkened until each has at least 3:1
 * contrast on white; the patterns below tell them apart without colour.
 */
export const seriesColours = ['#1f5fa8', '#b35400', '#2a7a2e', '#7b3f8c', '#4d4d4d', '#a4262c'] as const;
export const textColour = '#1a1a1a';
export const mutedColour = '#595959';
const gridColour = '#d9d9d9';

/** Relative luminance (WCAG 2.1) of a #rrggbb colour. */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** Contrast ratio (WCAG 2.1) between two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The top of a value axis: the smallest 1, 2, 2.5 or 5 times a power of ten at or above `max`, so
 * ticks fall on round numbers; 1 for an empty chart, so nothing divides by zero.
 */
export function niceMax(max: number): number {
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/** Tick values from 0 to `top` in four equal steps (integers where the steps allow). */
export function ticks(top: number): number[] {
  return [0, 1, 2, 3, 4].map((i) => Math.round(((top * i) / 4) * 100) / 100);
}

const width = 360;
const font = 'system-ui, -apple-system, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';

function fmt(locale: string, n: number): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n);
}

const safeId = (id: string) => id.replace(/[^A-Za-z0-9-]/g, '-');
const patternId = (id: string, i: number) => `${safeId(id)}-p${i}`;
const sum = (row: ChartRow, series: ChartSeries[]) => series.reduce((s, x) => s + (row.values[x.key] ?? 0), 0);

/**
 * One fill per series: a solid colour for the first, then the colour with white stripes, dots or
 * a cross-hatch, so neighbouring parts of a stack differ in texture as well as hue.
 */
function Patterns(props: { id: string; count: number }) {
  const defs: Child[] = [];
  for (let i = 0; i < props.count; i++) {
    const colour = seriesColours[i % seriesColours.length];
    const kind = i % 4;
    if (kind === 0) continue;
    defs.push(
      <pattern id={patternId(props.id, i)} width="8" height="8" patternUnits="userSpaceOnUse">
        <rect width="8" height="8" fill={colour} />
        {kind === 1 && <path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="#ffffff" stroke-width="1.5" />}
        {kind === 2 && <circle cx="4" cy="4" r="1.6" fill="#ffffff" />}
        {kind === 3 && <path d="M0,4 h8 M4,0 v8" stroke="#ffffff" stroke-width="1.2" />}
      </pattern>,
    );
  }
  return <defs>{defs}</defs>;
}

const fillOf = (id: string, i: number) => (i % 4 === 0 ? seriesColours[i % seriesColours.length] : `url(#${patternId(id, i)})`);

/** The legend in text, with a swatch drawn with the same fill as the series. */
function Legend(props: { id: string; series: ChartSeries[]; line?: boolean }) {
  if (props.series.length < 2) return null;
  return (
    <ul class="chart-legend">
      {props.series.map((s, i) => (
        <li>
          <svg width="28" height="16" viewBox="0 0 28 16" aria-hidden="true" focusable="false">
            {props.line ? (
              <>
                <line x1="1" y1="8" x2="27" y2="8" stroke={seriesColours[i % seriesColours.length]} stroke-width="2.5" stroke-dasharray={dashes[i % dashes.length] || undefined} />
                <Marker shape={i} x={14} y={8} colour={seriesColours[i % seriesColours.length] as string} />
              </>
            ) : (
              <rect x="1" y="1" width="26" height="14" fill={fillOf(props.id, i)} stroke={seriesColours[i % seriesColours.length]} />
            )}
          </svg>
          {s.label}
        </li>
      ))}
    </ul>
  );
}

/** The figures as a table: one row per category, one column per series (and a total when stacked). */
function FigureTable(props: ChartProps & { showTotal: boolean }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.title} tabindex={0}>
    <table class="table chart-table">
      <caption>
        {props.title}（{props.unit}）
      </caption>
      <thead>
        <tr>
          <th scope="col">{props.categoryHeader}</th>
          {props.series.map((s) => (
            <th scope="col" class="num">
              {s.label}
            </th>
          ))}
          {props.showTotal && <th scope="col" class="num">{props.totalLabel}</th>}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr>
            <th scope="row">{row.label}</th>
            {props.series.map((s) => (
              <td class="num">{fmt(props.locale, row.values[s.key] ?? 0)}</td>
            ))}
            {props.showTotal && <td class="num">{fmt(props.locale, sum(row, props.series))}</td>}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

/**
 * The sentence after the description: the largest and smallest category by total, and the sum, so
 * the picture's point is said in words too.
 */
export function describeExtremes(props: Pick<ChartProps, 'rows' | 'series' | 'unit' | 'locale'>, words: { most: string; least: string; total: string }): string {
  if (props.rows.length === 0) return '';
  const totals = props.rows.map((r) => ({ label: r.label, total: sum(r, props.series) }));
  const most = totals.reduce((a, b) => (b.total > a.total ? b : a));
  const least = totals.reduce((a, b) => (b.total < a.total ? b : a));
  const all = totals.reduce((s, t) => s + t.total, 0);
  const n = (v: number) => `${fmt(props.locale, v)} ${props.unit}`;
  const parts = [`${words.most}: ${most.label} ${n(most.total)}`];
  if (props.rows.length > 1) parts.push(`${words.least}: ${least.label} ${n(least.total)}`);
  parts.push(`${words.total}: ${n(all)}`);
  return parts.join('; ');
}

/** The words the description uses, in the chart's language. */
function extremeWords(locale: string) {
  return locale.startsWith('zh') ? { most: '最多', least: '最少', total: '合计' } : { most: 'Most', least: 'Least', total: 'Total' };
}

function Frame(props: ChartProps & { height: number; children: Child; showTotal: boolean; line?: boolean }) {
  const id = safeId(props.id);
  const desc = [props.description, describeExtremes(props, extremeWords(props.locale))].filter(Boolean).join(' ');
  return (
    <figure class="chart" id={id}>
      <figcaption class="chart-title">{props.title}</figcaption>
      <Legend id={props.id} series={props.series} line={props.line ?? false} />
      <svg
        class="chart-svg"
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        viewBox={`0 0 ${width} ${props.height}`}
        width="100%"
        preserveAspectRatio="xMinYMin meet"
        font-family={font}
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id={`${id}-title`}>{props.title}</title>
        <desc id={`${id}-desc`}>{desc}</desc>
        <Patterns id={props.id} count={props.series.length} />
        {props.children}
      </svg>
      <FigureTable {...props} showTotal={props.showTotal} />
    </figure>
  );
}

function Empty(props: ChartProps) {
  return (
    <figure class="chart chart-empty" id={safeId(props.id)}>
      <figcaption class="chart-title">{props.title}</figcaption>
      <p>{props.emptyText}</p>
    </figure>
  );
}

/** Layout of a horizontal bar chart, as numbers, so tests can check the geometry without parsing SVG. */
export function barLayout(props: Pick<ChartProps, 'rows' | 'series'>, stacked: boolean) {
  const pad = 8;
  const labelHeight = 20;
  const barHeight = stacked || props.series.length === 1 ? 22 : 16;
  const barGap = 3;
  const groupGap = 12;
  const valueRoom = 64;
  const plotWidth = width - pad * 2 - valueRoom;
  const max = stacked ? Math.max(0, ...props.rows.map((r) => sum(r, props.series))) : Math.max(0, ...props.rows.flatMap((r) => props.series.map((s) => r.values[s.key] ?? 0)));
  const top = niceMax(max);
  const bars = stacked || props.series.length === 1 ? 1 : props.series.length;
  const rowHeight = labelHeight + bars * barHeight + (bars - 1) * barGap + groupGap;
  const scale = (v: number) => (Math.max(0, v) / top) * plotWidth;
  const rows = props.rows.map((row, r) => {
    const y0 = pad + r * rowHeight;
    let x = pad;
    const parts = props.series.map((s, i) => {
      const value = row.values[s.key] ?? 0;
      const w = scale(value);
      const part = stacked
        ? { series: i, value, x, y: y0 + labelHeight, w, h: barHeight }
        : { series: i, value, x: pad, y: y0 + labelHeight + i * (barHeight + barGap), w, h: barHeight };
      if (stacked) x += w;
      return part;
    });
    return { label: row.label, labelY: y0 + 15, total: sum(row, props.series), parts };
  });
  return { pad, top, plotWidth, height: pad * 2 + props.rows.length * rowHeight - groupGap, rows, barHeight };
}

/**
 * Horizontal bars, one group per category (a shop, a type, a star level): grouped side by side, or
 * `stacked` into one bar per category with the total at its end. Good on a phone because the
 * category names are read across, not squeezed under columns.
 */
export function BarChart(props: ChartProps & { stacked?: boolean }) {
  const stacked = props.stacked ?? false;
  if (props.rows.length === 0) return <Empty {...props} />;
  const layout = barLayout(props, stacked);
  return (
    <Frame {...props} height={layout.height} showTotal={stacked && props.series.length > 1}>
      <line x1={layout.pad} y1={layout.pad} x2={layout.pad} y2={layout.height - layout.pad} stroke={mutedColour} stroke-width="1" />
      {layout.rows.map((row) => (
        <g>
          <text x={layout.pad} y={row.labelY} font-size="14" fill={textColour}>
            {row.label}
          </text>
          {row.parts.map((p) => (
            <>
              <rect x={r2(p.x)} y={p.y} width={r2(p.w)} height={p.h} fill={fillOf(props.id, p.series)} />
              {!stacked && (
                <text x={r2(p.x + p.w + 4)} y={p.y + p.h / 2 + 5} font-size="13" fill={textColour}>
                  {fmt(props.locale, p.value)}
                </text>
              )}
            </>
          ))}
          {stacked && (
            <text x={r2(layout.pad + (row.total / layout.top) * layout.plotWidth + 4)} y={(row.parts[0]?.y ?? 0) + layout.barHeight / 2 + 5} font-size="13" fill={textColour}>
              {fmt(props.locale, row.total)}
            </text>
          )}
        </g>
      ))}
    </Frame>
  );
}

const r2 = (n: number) => Math.round(n * 100) / 100;

/** Layout of a chart with categories along the bottom (months) and a value axis on the left. */
export function columnLayout(props: Pick<ChartProps, 'rows' | 'series'>, stacked: boolean) {
  const left = 40;
  const right = 8;
  const top = 12;
  const bottom = 28;
  const height = 220;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const max = stacked ? Math.max(0, ...props.rows.map((r) => sum(r, props.series))) : Math.max(0, ...props.rows.flatMap((r) => props.series.map((s) => r.values[s.key] ?? 0)));
  const axisTop = niceMax(max);
  const slot = plotWidth / Math.max(1, props.rows.length);
  const y = (v: number) => top + plotHeight - (Math.max(0, v) / axisTop) * plotHeight;
  // Labels every nth slot so they never overlap: a short label ("12月", "Dec") is about 26 units
  // wide, so twelve months fit on a phone and two years show every other month.
  const labelEvery = Math.max(1, Math.ceil(26 / slot));
  return { left, top, height, plotWidth, plotHeight, axisTop, slot, y, labelEvery, baseline: top + plotHeight };
}

function Axes(props: { layout: ReturnType<typeof columnLayout>; rows: ChartRow[]; locale: string }) {
  const l = props.layout;
  return (
    <g>
      {ticks(l.axisTop).map((t) => (
        <>
          <line x1={l.left} x2={l.left + l.plotWidth} y1={r2(l.y(t))} y2={r2(l.y(t))} stroke={t === 0 ? mutedColour : gridColour} stroke-width="1" />
          <text x={l.left - 4} y={r2(l.y(t) + 4)} font-size="12" text-anchor="end" fill={mutedColour}>
            {fmt(props.locale, t)}
          </text>
        </>
      ))}
      {props.rows.map((row, i) =>
        i % l.labelEvery === 0 ? (
          <text x={r2(l.left + l.slot * (i + 0.5))} y={l.baseline + 18} font-size="12" text-anchor="middle" fill={textColour}>
            {row.label}
          </text>
        ) : null,
      )}
    </g>
  );
}

/**
 * Columns along a time axis (months): stacked by series (hours by activity type, month by month),
 * or grouped side by side. Short category labels ("1月", "Jan") suit it; for long names use BarChart.
 */
export function ColumnChart(props: ChartProps & { stacked?: boolean; shortLabels?: string[] }) {
  const stacked = props.stacked ?? true;
  if (props.rows.length === 0) return <Empty {...props} />;
  const l = columnLayout(props, stacked);
  const axisRows = props.shortLabels ? props.rows.map((r, i) => ({ ...r, label: props.shortLabels?.[i] ?? r.label })) : props.rows;
  const inner = l.slot * 0.72;
  return (
    <Frame {...props} height={l.height} showTotal={stacked && props.series.length > 1}>
      <Axes layout={l} rows={axisRows} locale={props.locale} />
      {props.rows.map((row, i) => {
        const x0 = l.left + l.slot * i + (l.slot - inner) / 2;
        if (stacked) {
          let acc = 0;
          return (
            <g>
              {props.series.map((s, k) => {
                const v = row.values[s.key] ?? 0;
                const yTop = l.y(acc + v);
                const yBottom = l.y(acc);
                acc += v;
                return v > 0 ? <rect x={r2(x0)} y={r2(yTop)} width={r2(inner)} height={r2(yBottom - yTop)} fill={fillOf(props.id, k)} /> : null;
              })}
            </g>
          );
        }
        const w = inner / props.series.length;
        return (
          <g>
            {props.series.map((s, k) => {
              const v = row.values[s.key] ?? 0;
              return v > 0 ? <rect x={r2(x0 + k * w)} y={r2(l.y(v))} width={r2(w)} height={r2(l.baseline - l.y(v))} fill={fillOf(props.id, k)} /> : null;
            })}
          </g>
        );
      })}
    </Frame>
  );
}

const dashes = ['', '6 4', '2 3', '8 3 2 3'];

function Marker(props: { shape: number; x: number; y: number; colour: string }) {
  const { x, y, colour } = props;
  switch (props.shape % 4) {
    case 0:
      return <circle cx={r2(x)} cy={r2(y)} r="4" fill={colour} />;
    case 1:
      return <rect x={r2(x - 4)} y={r2(y - 4)} width="8" height="8" fill={colour} />;
    case 2:
      return <path d={`M${r2(x)},${r2(y - 5)} L${r2(x + 5)},${r2(y + 4)} L${r2(x - 5)},${r2(y + 4)} Z`} fill={colour} />;
    default:
      return <path d={`M${r2(x)},${r2(y - 5)} L${r2(x + 5)},${r2(y)} L${r2(x)},${r2(y + 5)} L${r2(x - 5)},${r2(y)} Z`} fill={colour} />;
  }
}

/**
 * Lines over months, one per series, each with its own dash and marker shape as well as colour
 * (points issued and redeemed month by month).
 */
export function LineChart(props: ChartProps & { shortLabels?: string[] }) {
  if (props.rows.length === 0) return <Empty {...props} />;
  const l = columnLayout(props, false);
  const axisRows = props.shortLabels ? props.rows.map((r, i) => ({ ...r, label: props.shortLabels?.[i] ?? r.label })) : props.rows;
  const xOf = (i: number) => l.left + l.slot * (i + 0.5);
  return (
    <Frame {...props} height={l.height} showTotal={false} line>
      <Axes layout={l} rows={axisRows} locale={props.locale} />
      {props.series.map((s, k) => {
        const colour = seriesColours[k % seriesColours.length] as string;
        const points = props.rows.map((row, i) => ({ x: xOf(i), y: l.y(row.values[s.key] ?? 0) }));
        return (
          <g>
            <polyline points={points.map((p) => `${r2(p.x)},${r2(p.y)}`).join(' ')} fill="none" stroke={colour} stroke-width="2.5" stroke-dasharray={dashes[k % dashes.length] || undefined} />
            {points.map((p) => (
              <Marker shape={k} x={p.x} y={p.y} colour={colour} />
            ))}
          </g>
        );
      })}
    </Frame>
  );
}
