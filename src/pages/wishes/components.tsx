import type { Child, PropsWithChildren } from 'hono/jsx';
import type { Wish } from '../../wishes/schemas.js';
import { formatDate, formatDateTime, formatNumber, type Lang } from '../common/i18n.js';
import { wishStrings } from './strings.js';

/** Pieces the wallet's and the desk's wish pages share: markup only, words from wishStrings. */

type T = (typeof wishStrings)['zh-CN'];

/** The state of a wish in words, with a tag whose colour only repeats what the words say. */
export function StatusTag(props: { lang: Lang; status: string }) {
  return <span class={`tag tag-${props.status}`}>{wishStrings[props.lang].status[props.status] ?? props.status}</span>;
}

/** One wish in a list: what is asked, its kind and points, when, and a link to it. */
export function WishCard(props: { lang: Lang; tz: string; wish: Wish; href: string; tag?: string | undefined; extra?: Child }) {
  const t = wishStrings[props.lang];
  const w = props.wish;
  return (
    <li class="card wish-card">
      <h3 class="card-title">
        <a href={props.href}>{w.title}</a>
      </h3>
      <p class="wish-meta">
        <span class="tag">{w.categoryName}</span> <StatusTag lang={props.lang} status={w.status} /> {props.tag && <span class="tag tag-mine">{props.tag}</span>}
      </p>
      <p class="wish-meta">
        {w.status === 'confirmed' ? t.points(formatNumber(props.lang, w.points)) : t.earn(formatNumber(props.lang, w.points))}
        <br />
        <span class="meta">{t.postedOn(formatDateTime(props.lang, w.createdAt, props.tz))}</span>
        {w.neededBy && (
          <>
            <br />
            <span class="meta">{t.neededBy(formatDate(props.lang, w.neededBy, props.tz))}</span>
          </>
        )}
      </p>
      {props.extra}
    </li>
  );
}

export function WishList(props: PropsWithChildren<{ id?: string; empty: string; count: number }>) {
  if (props.count === 0) {
    return (
      <p class="empty" id={props.id}>
        {props.empty}
      </p>
    );
  }
  return (
    <ul class="cards" id={props.id}>
      {props.children}
    </ul>
  );
}

/** What happened to a wish, oldest first, in words: who (you, a volunteer, staff) did what, when. */
export function History(props: { lang: Lang; tz: string; wish: Required<Pick<Wish, 'history'>>['history']; meId: string }) {
  const t = wishStrings[props.lang];
  return (
    <ol class="history" id="history">
      {props.wish.map((e) => {
        const what = e.from === null ? 'posted' : e.to === 'open' ? 'released' : e.to;
        const who = e.actor.id === props.meId ? t.who.you : (t.who[e.actor.role] ?? e.actor.role);
        return (
          <li>
            <span class="history-what">
              {who} {t.history[what] ?? what}
            </span>
            <span class="meta history-when">{formatDateTime(props.lang, e.createdAt, props.tz)}</span>
            {e.note && <span class="history-note">“{e.note}”</span>}
          </li>
        );
      })}
    </ol>
  );
}

/** One choice among a few, as large radio buttons (a select hides its choices on a phone). */
export function Choices(props: { id: string; legend: string; error?: string | undefined; errorPrefix: string; value?: string | undefined; options: { value: string; label: string; hint?: string }[] }) {
  return (
    <div class={props.error ? 'field field-error' : 'field'} id={props.id}>
      <fieldset class="choices" aria-describedby={props.error ? `${props.id}-error` : undefined}>
        <legend class="label">{props.legend}</legend>
        {props.error && (
          <p class="error-message" id={`${props.id}-error`}>
            <span class="visually-hidden">{props.errorPrefix}</span>
            {props.error}
          </p>
        )}
        {props.options.map((o, i) => (
          <div class="choice">
            <input type="radio" id={i === 0 ? `${props.id}-first` : `${props.id}-${i}`} name={props.id} value={o.value} checked={props.value === o.value} aria-describedby={o.hint ? `${props.id}-${i}-hint` : undefined} />
            <label for={i === 0 ? `${props.id}-first` : `${props.id}-${i}`}>
              {o.label}
              {o.hint && (
                <span class="hint choice-hint" id={`${props.id}-${i}-hint`}>
                  {o.hint}
                </span>
              )}
            </label>
          </div>
        ))}
      </fieldset>
    </div>
  );
}

/** How long ago, in the largest whole unit people say ("12 分钟", "3 小时", "2 天"). */
export function durationText(t: T, ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 120) return t.minutes(minutes);
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t.hours(hours);
  return t.days(Math.floor(hours / 24));
}
