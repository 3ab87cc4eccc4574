import type { Context } from 'hono';
import { DomainError } from '../../errors.js';
import { mapDatabaseError } from '../../db/errors.js';
import { roleHomes, type PageDeps, type PageEnv } from './env.js';
import { renderPage } from './render.js';
import { sharedStrings } from './strings.js';

/** A page that only says something: not found, not yours, refused, try later. */
export function messagePage(c: Context<PageEnv>, deps: PageDeps, status: 400 | 403 | 404 | 413 | 415 | 429 | 500 | 503, title: string, body: string) {
  const page = c.get('page');
  const t = sharedStrings[page.lang];
  const home = page.actor ? roleHomes[page.actor.role] : '/app/sign-in';
  return renderPage(
    c,
    deps,
    { title, status },
    <>
      <h1>{title}</h1>
      <p>{body}</p>
      <p>
        <a href={home}>{page.actor ? t.goHome : t.signIn}</a>
      </p>
    </>,
  );
}

/**
 * The pages' error handler: what the API would answer as problem+json, a page says in words. Not
 * signed in (or signed out meanwhile) leads to the sign-in page.
 */
export function pageErrorHandler(deps: PageDeps) {
  return async (error: Error, c: Context<PageEnv>): Promise<Response> => {
    const t = sharedStrings[c.get('page')?.lang ?? 'zh-CN'];
    if (!c.get('page')) c.set('page', { lang: 'zh-CN', large: false, actor: undefined, here: '/app/' });
    const mapped = mapDatabaseError(error);
    if (mapped instanceof DomainError) {
      switch (mapped.code) {
        case 'unauthorized':
          return c.redirect('/app/sign-in', 303);
        case 'forbidden':
          return messagePage(c, deps, 403, t.forbiddenTitle, t.forbiddenBody);
        case 'csrf_refused':
          return messagePage(c, deps, 403, t.refusedTitle, t.refusedBody);
        case 'not_found':
          return messagePage(c, deps, 404, t.notFoundTitle, t.notFoundBody);
        case 'rate_limited': {
          const response = await messagePage(c, deps, 429, t.slowDownTitle, t.slowDownBody(mapped.retryAfterSeconds ?? 1));
          response.headers.set('retry-after', String(mapped.retryAfterSeconds ?? 1));
          return response;
        }
        case 'payload_too_large':
          return messagePage(c, deps, 413, t.refusedTitle, t.tooLargeBody);
        case 'unsupported_media_type':
          return messagePage(c, deps, 415, t.refusedTitle, t.refusedBody);
        case 'validation_failed':
          return messagePage(c, deps, 400, t.refusedTitle, t.refusedBody);
        case 'service_unavailable':
          return messagePage(c, deps, 503, t.problemTitle, t.problemBody(c.get('requestId') ?? ''));
        default:
          if (mapped.status < 500) return messagePage(c, deps, 400, t.refusedTitle, mapped.message);
      }
    }
    c.get('log')?.().error({ err: error }, 'page failed');
    return messagePage(c, deps, 500, t.problemTitle, t.problemBody(c.get('requestId') ?? 'unknown'));
  };
}
