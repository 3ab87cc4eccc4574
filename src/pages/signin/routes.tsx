import type { Context } from 'hono';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Actor } from '../../auth/actor.js';
import { sessionCookieName } from '../../auth/sessions.js';
import { DomainError } from '../../errors.js';
import { clientAddress } from '../../http/middleware.js';
import { clearSessionCookie, setSessionCookie } from '../../http/session-cookie.js';
import { deviceLabelFrom } from '../../sessions/device.js';
import { endOwnSession, endSession, listOwnSessions, signInWithCode } from '../../sessions/service.js';
import { Button, ErrorSummary, Field, Outcome, PostForm, Table } from '../common/components.js';
import { roleHomes, type PageDeps, type PageEnv } from '../common/env.js';
import { formatShortDateTime } from '../common/i18n.js';
import { renderPage } from '../common/render.js';
import { isLocalPage, readForm, requireRole } from '../common/session.js';
import { sharedStrings } from '../common/strings.js';
import { signInStrings } from './strings.js';

/** Where to go once signed in: the page that sent the person here, if it is in their own area, else their home. */
function destination(role: Actor['role'], next: string | undefined): string {
  const home = roleHomes[role];
  return isLocalPage(next) && (next === home || next.startsWith(`${home}/`) || next.startsWith(`${home}?`)) ? next : home;
}

/** A redirect that carries the cookies set on the context (the session cookie, or its removal). */
function redirectWithCookies(c: Context<PageEnv>, location: string) {
  c.header('cache-control', 'no-store');
  c.header('referrer-policy', 'no-referrer');
  return c.redirect(location, 303);
}

/**
 * Signing in with a sign-in code (the link an organiser hands out, or the code typed), signing out,
 * and the account page with the person's sessions. The code in a link is never spent by opening the
 * link: the page shows a form with the code filled in, which a small script submits at once; a
 * link-preview robot that only fetches the page spends nothing.
 */
export function signInPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  const publicUrl = deps.config.PUBLIC_URL;

  function signInPage(c: Context<PageEnv>, options: { code?: string; next?: string | undefined; error?: string; status?: 200 | 400 | 401; notice?: string }) {
    const { lang } = c.get('page');
    const t = signInStrings[lang];
    const fromLink = options.code !== undefined && options.error === undefined;
    return renderPage(
      c,
      deps,
      { title: t.title, status: options.status ?? 200, scripts: fromLink ? ['auto-submit.js'] : [] },
      <>
        <h1>{t.title}</h1>
        {options.notice && <Outcome tone="info" title={options.notice} id="sign-in-notice" />}
        {options.error && <ErrorSummary title={sharedStrings[lang].errorSummaryTitle} errors={[{ field: 'code', message: options.error }]} />}
        <p>{fromLink ? t.withLink : t.typed}</p>
        <PostForm action="/app/sign-in" id="sign-in-form" class={fromLink ? 'auto-submit' : undefined}>
          {isLocalPage(options.next) && <input type="hidden" name="next" value={options.next} />}
          <Field
            id="code"
            label={t.codeLabel}
            hint={t.codeHint}
            error={options.error}
            errorPrefix={sharedStrings[lang].errorPrefix}
            value={options.code ?? ''}
            autocomplete="one-time-code"
            autocapitalize="characters"
            spellcheck={false}
            maxlength={20}
          />
          <Button>{t.button}</Button>
        </PostForm>
      </>,
    );
  }

  app.get('/sign-in', (c) => {
    const t = signInStrings[c.get('page').lang];
    const code = c.req.query('code');
    const next = c.req.query('next');
    const actor = c.get('page').actor;
    if (code === undefined && actor && !c.req.query('signed-out')) return c.redirect(destination(actor.role, next), 303);
    const notice = c.req.query('signed-out') === 'all' ? t.signedOutEverywhere : c.req.query('signed-out') ? t.signedOut : undefined;
    return signInPage(c, { ...(code !== undefined ? { code: code.slice(0, 20) } : {}), next, ...(notice ? { notice } : {}) });
  });

  app.post('/sign-in', async (c) => {
    const form = await readForm(c, publicUrl);
    const t = signInStrings[c.get('page').lang];
    const code = (form.code ?? '').trim();
    if (code === '') return signInPage(c, { code: '', next: form.next, error: t.codeMissing, status: 400 });
    let signedIn;
    try {
      signedIn = await signInWithCode(deps, { code, deviceLabel: deviceLabelFrom(c.req.header('user-agent')), client: clientAddress(c, deps.config.TRUST_PROXY) });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'sign_in_code_invalid') return signInPage(c, { code: code.slice(0, 20), next: form.next, error: t.codeInvalid, status: 401 });
      throw error;
    }
    // One browser, one session: the one it had before is ended rather than left to expire.
    const previous = getCookie(c, sessionCookieName);
    if (previous) await endSession(deps, previous);
    setSessionCookie(c, publicUrl, signedIn.secret, new Date(signedIn.expiresAt));
    return redirectWithCookies(c, destination(signedIn.principal.role, form.next));
  });

  app.post('/sign-out', async (c) => {
    await readForm(c, publicUrl);
    const secret = getCookie(c, sessionCookieName);
    if (secret) await endSession(deps, secret);
    clearSessionCookie(c, publicUrl);
    return redirectWithCookies(c, '/app/sign-in?signed-out=1');
  });

  app.get('/account', requireRole('volunteer', 'merchant', 'organiser', 'admin'), async (c) => {
    const { lang, actor } = c.get('page');
    const t = signInStrings[lang];
    const tz = deps.config.PROGRAMME_TIME_ZONE;
    const sessions = await listOwnSessions(deps, actor!, c.get('session')?.id);
    return renderPage(
      c,
      deps,
      { title: t.accountTitle },
      <>
        <h1>{t.accountTitle}</h1>
        <p>{t.signedInAs(t.role[actor!.role] ?? actor!.role)}</p>
        <Table
          id="sessions"
          caption={t.sessionsCaption}
          head={[t.device, t.since, t.lastSeen]}
          empty={t.noSessions}
          rows={sessions.items.map((s) => [`${s.deviceLabel}${s.current ? t.thisDevice : ''}`, formatShortDateTime(lang, s.createdAt, tz), formatShortDateTime(lang, s.lastSeenAt, tz)])}
        />
        <PostForm action="/app/sign-out">
          <Button variant="secondary">{t.signOut}</Button>
        </PostForm>
        <h2>{t.signOutEverywhere}</h2>
        <p>{t.signOutEverywhereHint}</p>
        <PostForm action="/app/account/sign-out-everywhere">
          <Button variant="warning">{t.signOutEverywhere}</Button>
        </PostForm>
      </>,
    );
  });

  app.post('/account/sign-out-everywhere', requireRole('volunteer', 'merchant', 'organiser', 'admin'), async (c) => {
    await readForm(c, publicUrl);
    const actor = c.get('page').actor!;
    const sessions = await listOwnSessions(deps, actor, c.get('session')?.id);
    for (const session of sessions.items) await endOwnSession(deps, actor, session.id);
    clearSessionCookie(c, publicUrl);
    return redirectWithCookies(c, '/app/sign-in?signed-out=all');
  });

  return app;
}
