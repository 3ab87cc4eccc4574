/**
 * A bar chart drawn on the server as SVG: no script, no library, readable on a phone and on paper.
 * It is a picture of the table that always stands beside it (the figures are in the table, the
 * chart only shows their shape), so screen readers get the table and a one-line description.
 */

export interface Bar {
  label: string;
  value: number;
  /** The value as people read it, written above the bar. */
  text: string;
}

// Drawn at about the width of a phone's column, so its words are read at their own size there.
const width = 360;
const height = 210;
const top = 24;
const bottom = 30;
const left = 4;

export function BarChart(props: { bars: Bar[]; label: string; id?: string }) {
  const max = Math.max(1, ...props.bars.map((b) => b.value));
  const slot = (width - left * 2) / Math.max(1, props.bars.length);
  const barWidth = Math.max(4, slot * 0.7);
  const plot = height - top - bottom;
  return (
    <figure class="chart" id={props.id}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.label} focusable="false" class="chart-svg">
        <line x1={left} x2={width - left} y1={height - bottom} y2={height - bottom} stroke="#0b0c0c" stroke-width="2" />
        {props.bars.map((bar, i) => {
          const h = Math.round((bar.value / max) * plot);
          const x = left + i * slot + (slot - barWidth) / 2;
          const y = height - bottom - h;
          return (
            <g>
              <rect x={x.toFixed(1)} y={y} width={barWidth.toFixed(1)} height={h} fill="#1d4e89" />
              {bar.value > 0 && (
                <text x={(x + barWidth / 2).toFixed(1)} y={y - 6} text-anchor="middle" font-size="12" fill="#0b0c0c">
                  {bar.text}
                </text>
              )}
              <text x={(x + barWidth / 2).toFixed(1)} y={height - bottom + 18} text-anchor="middle" font-size="12" fill="#0b0c0c">
                {bar.label}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
