import { describe, expect, it } from 'vitest';
import { BarChart, ColumnChart, LineChart, barLayout, contrast, describeExtremes, niceMax, seriesColours, textColour, mutedColour, ticks, type ChartProps } from '../src/pages/common/charts.js';

/** The chart components: pure functions from figures to SVG and a table, checked as markup and as geometry. */

const render = async (element: unknown) => String(await (element as { toString(): string | Promise<string> }).toString());

const base: ChartProps = {
  id: 'shops',
  title: '各商户兑换积分',
  description: '本月各商户核销的积分。',
  unit: '积分',
  categoryHeader: '商户',
  series: [{ key: 'points', label: '积分' }],
  rows: [
    { label: '老王理发店', values: { points: 120 } },
    { label: '社区食堂 <东门>', values: { points: 480 } },
    { label: '便民超市', values: { points: 0 } },
  ],
  locale: 'zh-CN',
  emptyText: '本期没有数据',
};

describe('axis scale', () => {
  it('rounds the top up to 1, 2, 2.5 or 5 times a power of ten, and never divides by zero', () => {
    expect(niceMax(480)).toBe(500);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(2100)).toBe(2500);
    expect(niceMax(1)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(0)).toBe(1);
    expect(niceMax(Number.NaN)).toBe(1);
    expect(ticks(500)).toEqual([0, 125, 250, 375, 500]);
  });
});

describe('colours', () => {
  it('give every series 3:1 against white and text 4.5:1', () => {
    for (const c of seriesColours) expect(contrast(c, '#ffffff'), c).toBeGreaterThanOrEqual(3);
    expect(contrast(textColour, '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(contrast(mutedColour, '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
  });
});

describe('bar chart', () => {
  it('is an image with a title and a description in words, and the same figures in a table', async () => {
    const html = await render(BarChart(base));
    expect(html).toContain('role="img"');
    expect(html).toContain('aria-labelledby="shops-title shops-desc"');
    expect(html).toContain('<title id="shops-title">各商户兑换积分</title>');
    expect(html).toMatch(/<desc id="shops-desc">本月各商户核销的积分。 最多: 社区食堂 &lt;东门&gt; 480 积分; 最少: 便民超市 0 积分; 合计: 600 积分<\/desc>/);
    // The table: a caption, a header row, and one row per shop with its figure.
    expect(html).toContain('<caption>各商户兑换积分（积分）</caption>');
    const rows = [...html.matchAll(/<tr><th scope="row">([^<]*)<\/th><td class="num">([^<]*)<\/td><\/tr>/g)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual([
      ['老王理发店', '120'],
      ['社区食堂 &lt;东门&gt;', '480'],
      ['便民超市', '0'],
    ]);
    // Names are escaped, never markup; no script anywhere.
    expect(html).not.toContain('<东门>');
    expect(html).not.toMatch(/<script|on[a-z]+=/i);
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it('draws bars in proportion to the figures on a scale rounded up', () => {
    const layout = barLayout(base, false);
    expect(layout.top).toBe(500);
    const [a, b, c] = layout.rows.map((r) => r.parts[0]!.w);
    expect(b! / a!).toBeCloseTo(4, 5);
    expect(c).toBe(0);
    expect(b).toBeCloseTo((480 / 500) * layout.plotWidth, 5);
    // Every bar fits in the 360-unit drawing with room for its figure.
    for (const row of layout.rows) for (const p of row.parts) expect(p.x + p.w).toBeLessThanOrEqual(360 - 8 - 64 + 0.001);
  });

  it('stacks series into one bar per category with a total column, and tells series apart by pattern', async () => {
    const props: ChartProps = {
      ...base,
      id: 'stars',
      series: [
        { key: 'issued', label: '发放' },
        { key: 'redeemed', label: '兑换' },
      ],
      rows: [
        { label: '一月', values: { issued: 300, redeemed: 100 } },
        { label: '二月', values: { issued: 50 } },
      ],
      totalLabel: '合计',
    };
    const layout = barLayout(props, true);
    const first = layout.rows[0]!;
    expect(first.total).toBe(400);
    expect(first.parts[1]!.x).toBeCloseTo(first.parts[0]!.x + first.parts[0]!.w, 5);
    const html = await render(BarChart({ ...props, stacked: true }));
    expect(html).toContain('<pattern id="stars-p1"');
    expect(html).toContain('fill="url(#stars-p1)"');
    expect(html).toContain('<ul class="chart-legend">');
    expect(html).toContain('<th scope="col" class="num">合计</th>');
    expect(html).toMatch(/<th scope="row">二月<\/th><td class="num">50<\/td><td class="num">0<\/td><td class="num">50<\/td>/);
  });

  it('says so in words when there is nothing to draw', async () => {
    const html = await render(BarChart({ ...base, rows: [] }));
    expect(html).toContain('本期没有数据');
    expect(html).not.toContain('<svg');
  });
});

describe('column and line charts over months', () => {
  const months: ChartProps = {
    ...base,
    id: 'months',
    title: 'Hours by month',
    description: 'Approved hours by activity type.',
    unit: 'h',
    categoryHeader: 'Month',
    locale: 'en',
    series: [
      { key: 'clean', label: 'Cleanup' },
      { key: 'visit', label: 'Visits' },
    ],
    rows: Array.from({ length: 12 }, (_, i) => ({ label: `2026-${String(i + 1).padStart(2, '0')}`, values: { clean: i * 10, visit: 1234.5 } })),
    totalLabel: 'Total',
  };

  it('stacks each month, with round ticks, month labels and the figures in a table', async () => {
    const html = await render(ColumnChart({ ...months, shortLabels: months.rows.map((_, i) => `M${i + 1}`) }));
    expect(html).toContain('role="img"');
    expect(html).toContain('>M1</text>');
    expect(html).toContain('>M12</text>');
    expect(html).toContain('<td class="num">1,234.5</td>');
    expect(html).toContain('Most: 2026-12 1,344.5 h; Least: 2026-01 1,234.5 h; Total: 15,474 h');
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it('draws one line per series with its own dash and marker, never colour alone', async () => {
    const html = await render(LineChart(months));
    expect(html.match(/<polyline/g)).toHaveLength(2);
    expect(html).toContain('stroke-dasharray="6 4"');
    // Markers: circles for the first series, squares for the second (12 each, plus the legend's).
    expect(html.match(/<circle/g)).toHaveLength(13);
    expect(html).toContain('<ul class="chart-legend">');
  });

  it('describes extremes for a single category without calling it both most and least', () => {
    expect(describeExtremes({ ...base, rows: [base.rows[0]!] }, { most: 'Most', least: 'Least', total: 'Total' })).toBe('Most: 老王理发店 120 积分; Total: 120 积分');
  });
});
