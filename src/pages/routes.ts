import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Deps } from '../deps.js';
import { Assets } from './common/assets.js';
import { prefsCookie, roleHomes, type PageDeps, type PageEnv } from './common/env.js';
import { chooseLang, isLang } from './common/i18n.js';
import { messagePage, pageErrorHandler } from './common/messages.js';
import { seeOther } from './common/render.js';
import { isLocalPage, resolvePageActor } from './common/session.js';
import { sharedStrings } from './common/strings.js';
import { deskPages } from './desk/routes.js';
import { officePages } from './office/routes.js';
import { counterPages } from './counter/routes.js';
import { signInPages } from './signin/routes.js';
import { verifyPages } from './verify/routes.js';
import { walletPages } from './wallet/routes.js';
import { wallPages } from './wall/routes.js';
import { deskWishPages, walletWishPages } from './wishes/routes.js';

/** A year: how long the language and text-size choices are remembered. */
const prefsMaxAgeSeconds = 365 * 24 * 3600;


/**
 * The pages people use, under /app/. Each area (wallet, counter, ...) is a folder with its own
 * routes and strings; this file gives every request its page context (language, text size, who is
 * signed in) and mounts the areas, the shared assets and the header's switches.
 */
export function pageRoutes(deps: Deps) {
  const pd: PageDeps = { ...deps, assets: new Assets() };
  const app = new Hono<PageEnv>();

  app.get('/app/assets/:file', async (c) => {
    const response = await pd.assets.respond(c.req.param('file'), c.req.header('accept-encoding'));
    return response ?? c.body('not found', 404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  });

  app.use('/app/*', async (c, next) => {
    if (c.req.path.startsWith('/app/assets/')) return next();
    const url = new URL(c.req.url);
    const resolved = await resolvePageActor(pd, c);
    if (resolved) c.set('actor', resolved.actor);
    c.set('page', {
      lang: chooseLang(getCookie(c, prefsCookie.lang), c.req.header('accept-language')),
      large: getCookie(c, prefsCookie.text) === 'large',
      actor: resolved?.actor,
      here: `${url.pathname}${url.search}`.slice(0, 500),
    });
    await next();
    // After the page has answered, so the cookie lands on the response actually sent.
    resolved?.slid?.();
  });

  // The header's language and text-size switches: plain links, so they work without scripts.
  app.get('/app/prefs', (c) => {
    const lang = c.req.query('lang');
    const text = c.req.query('text');
    const cookie = { path: '/', sameSite: 'Lax', httpOnly: true, secure: pd.config.PUBLIC_URL.startsWith('https:'), maxAge: prefsMaxAgeSeconds } as const;
    if (isLang(lang)) setCookie(c, prefsCookie.lang, lang, cookie);
    if (text === 'large' || text === 'normal') setCookie(c, prefsCookie.text, text, cookie);
    const back = c.req.query('back');
    const location = isLocalPage(back) ? back : '/app/';
    const response = seeOther(location);
    for (const value of c.res.headers.getSetCookie()) response.headers.append('set-cookie', value);
    return response;
  });

  app.get('/app', (c) => c.redirect('/app/', 303));
  app.get('/app/', (c) => {
    const actor = c.get('page').actor;
    return c.redirect(actor ? roleHomes[actor.role] : '/app/sign-in', 303);
  });

  app.route('/app', signInPages(pd));
  // Wishes sit under the wallet and the desk: mounted before those areas, so they answer first.
  app.route('/app/wallet/wishes', walletWishPages(pd));
  app.route('/app/desk/wishes', deskWishPages(pd));
  app.route('/app/wall', wallPages(pd));
  app.route('/app/wallet', walletPages(pd));
  app.route('/app/desk', deskPages(pd));
  app.route('/app/office', officePages(pd));
  app.route('/app/counter', counterPages(pd));
  app.route('/app/verify', verifyPages(pd));

  app.all('/app/*', (c) => {
    const t = sharedStrings[c.get('page').lang];
    return messagePage(c, pd, 404, t.notFoundTitle, t.notFoundBody);
  });
  app.onError(pageErrorHandler(pd));
  return app;
}
