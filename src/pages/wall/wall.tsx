import type { Wall } from '../../wishes/wall.js';
import { Qr } from '../common/components.js';
import { formatDate, formatDateTime, formatNumber, type Lang } from '../common/i18n.js';
import { wallStrings } from './strings.js';

/**
 * The wall for a screen: the month's completion rate in the largest type, then the open wishes,
 * oldest first, each with its kind and points; never who asked or how to reach them.
 */
export function WallPage(props: { lang: Lang; tz: string; wall: Wall; now: Date; qrSvg: string }) {
  const t = wallStrings[props.lang];
  const { wall } = props;
  const rate = wall.month.completionRate;
  const n = (v: number) => formatNumber(props.lang, v);
  return (
    <div class="wall">
      <h1 id="wall-title">{t.title(wall.orgUnit.name)}</h1>
      <div class="wall-top">
        <section class="wall-rate" aria-labelledby="rate-label">
          <span class="wall-rate-label" id="rate-label">
            {t.rateLabel}
          </span>
          <span class="wall-rate-value" id="completion-rate">
            {rate === null ? t.rateNone : new Intl.NumberFormat(props.lang, { style: 'percent', maximumFractionDigits: 0 }).format(rate)}
          </span>
          <span class="wall-rate-line" id="month-line">
            {t.monthLine(n(wall.month.posted), n(wall.month.confirmed))}
          </span>
        </section>
        <section class="wall-how" aria-label={t.qr}>
          <Qr svg={props.qrSvg} label={t.qr} class="wall-qr" />
          <p>{t.howTo}</p>
        </section>
      </div>
      <h2>{wall.more ? t.openTitleMore(n(wall.wishes.length)) : t.openTitle(n(wall.wishes.length))}</h2>
      {wall.wishes.length === 0 ? (
        <p class="wall-empty" id="wall-wishes">
          {t.empty}
        </p>
      ) : (
        <ul class="wall-list" id="wall-wishes">
          {wall.wishes.map((w) => (
            <li class="wall-wish">
              <span class="wall-wish-title">{w.title}</span>
              <span class="wall-wish-meta">
                <span class="tag">{w.categoryName}</span> {t.points(n(w.points))}
                {w.neededBy && ` · ${t.neededBy(formatDate(props.lang, w.neededBy, props.tz))}`}
              </span>
              <span class="wall-wish-when">{t.postedOn(formatDateTime(props.lang, w.createdAt, props.tz))}</span>
            </li>
          ))}
        </ul>
      )}
      <p class="meta wall-refreshed">{t.refreshed(formatDateTime(props.lang, props.now, props.tz))}</p>
    </div>
  );
}
