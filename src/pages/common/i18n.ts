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

export function formatDate(lang: Lang, at: Date | string, timeZone: string): string {
  return new Intl.DateTimeFormat(lang, { timeZone, year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(at));
}

export function formatNumber(lang: Lang, value: number): string {
  return new Intl.NumberFormat(lang).format(value);
}
