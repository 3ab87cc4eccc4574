/**
 * Languages of the pages. Chinese first: it is what a page falls back to. A person's choice (the
 * language switch, kept in a cookie) wins over the browser's Accept-Language.
 */
export const languages = ['zh-CN', 'en'] as const;
export type Lang = (typeof languages)[number];
export const defaultLang: Lang = 'zh-CN';

/** Most Accept-Language entries looked at; a longer header is cut here rather than parsed whole. */
const acceptLanguageEntriesMax = 20;

export function isLang(value: string | undefined): value is Lang {
  return value === 'zh-CN' || value === 'en';
}

/** The language to answer in: the switch's cookie, else the best match in Accept-Language, else Chinese. */
export function chooseLang(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (isLang(cookie)) return cookie;
  if (!acceptLanguage) return defaultLang;
  const ranked = acceptLanguage
    .slice(0, 1000)
    .split(',')
    .slice(0, acceptLanguageEntriesMax)
    .map((entry, index) => {
      const [tag = '', ...params] = entry.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((e) => e.q > 0 && !Number.isNaN(e.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return defaultLang;
}

/**
 * One area's strings in every language. The English table must have exactly the Chinese table's
 * keys and shapes (a function for a string that takes values), so a missing translation is a type error.
 */
export function catalogue<T extends Record<string, unknown>>(zh: T, en: NoInfer<T>): Record<Lang, T> {
  return { 'zh-CN': zh, en };
}

/** A date (and time) as people in the programme read it, in the programme's time zone. */
export function formatDateTime(lang: Lang, at: Date | string, timeZone: string): string {
  return new Intl.DateTimeFormat(lang, { timeZone, year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(at));
}

/** A recent moment, short enough for a table cell on a phone: month, day and time ("12月6日 17:14"). */
export function formatShortDateTime(lang: Lang, at: Date | string, timeZone: string): string {
  return new Intl.DateTimeFormat(lang, { timeZone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(at));
}

export function formatDate(lang: Lang, at: Date | string, timeZone: string): string {
  return new Intl.DateTimeFormat(lang, { timeZone, year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(at));
}

export function formatNumber(lang: Lang, value: number): string {
  return new Intl.NumberFormat(lang).format(value);
}

/** The calendar day (YYYY-MM-DD) an instant falls on in a time zone. */
export function dayIn(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The instant a calendar day (YYYY-MM-DD) begins in a time zone, or undefined for no such day. */
export function dayStart(day: string, timeZone: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const utc = Date.UTC(y, m - 1, d);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d || y < 2000 || y > 2200) return undefined;
  // The zone's offset at that moment, read back from Intl; a second pass settles days when it changes.
  const offsetAt = (t: number) => {
    const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(t)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const o = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    return o ? (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3])) * 60_000 : 0;
  };
  let start = utc - offsetAt(utc);
  start = utc - offsetAt(start);
  return new Date(start);
}

/** The day after a calendar day (YYYY-MM-DD). */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}
