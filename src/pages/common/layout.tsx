import type { PropsWithChildren } from 'hono/jsx';
import { roleHomes, type PageContext } from './env.js';
import { sharedStrings } from './strings.js';

export interface LayoutProps {
  page: PageContext;
  title: string;
  programme: string;
  stylesheet: string;
  icon: string;
  scripts: string[];
  /** For pages printed on paper: the header stays on screen only. */
  printable?: boolean;
}

/** Where the header's switches go: the preference, then back to this page. */
export function prefsHref(change: { lang?: string; text?: string }, back: string): string {
  const query = new URLSearchParams({ ...change, back });
  return `/app/prefs?${query}`;
}

/** Every page's frame: the header (home, language, text size, account, sign out) and the main column. */
export function Layout(props: PropsWithChildren<LayoutProps>) {
  const { page } = props;
  const t = sharedStrings[page.lang];
  const home = page.actor ? roleHomes[page.actor.role] : '/app/sign-in';
  const classes = [page.large ? 'large' : '', props.printable ? 'printable' : ''].filter(Boolean).join(' ') || undefined;
  return (
    <html lang={page.lang} class={classes}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · ${props.programme}`}</title>
        <link rel="stylesheet" href={props.stylesheet} />
        <link rel="icon" href={props.icon} type="image/svg+xml" />
        {props.scripts.map((src) => (
          <script src={src} defer></script>
        ))}
      </head>
      <body>
        <a class="skip-link" href="#main">
          {t.skipToContent}
        </a>
        <header class="site-header">
          <a class="brand" href={home}>
            {props.programme}
          </a>
          <nav class="site-nav" aria-label={t.account}>
            <a class="nav-link" href={prefsHref({ lang: page.lang === 'en' ? 'zh-CN' : 'en' }, page.here)} lang={page.lang === 'en' ? 'zh-CN' : 'en'} aria-label={t.otherLanguageLabel}>
              {t.otherLanguage}
            </a>
            <a class="nav-link" href={prefsHref({ text: page.large ? 'normal' : 'large' }, page.here)} aria-label={page.large ? t.normalTextLabel : t.largeTextLabel}>
              {page.large ? t.normalText : t.largeText}
            </a>
            {page.actor && (
              <a class="nav-link" href="/app/account">
                {t.account}
              </a>
            )}
            {page.actor && (
              <form method="post" action="/app/sign-out" class="nav-form">
                <button type="submit" class="nav-link nav-button">
                  {t.signOut}
                </button>
              </form>
            )}
          </nav>
        </header>
        <main id="main" class="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}
