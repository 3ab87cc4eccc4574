import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Actor } from '../../auth/actor.js';
import { sessionCookieName } from '../../auth/sessions.js';
import { DomainError } from '../../errors.js';
import { readWebBody, requireSameOrigin } from '../../http/middleware.js';
import { setSessionCookie } from '../../http/session-cookie.js';
import type { PageDeps, PageEnv } from './env.js';

/**
 * Who a page request comes from, from the same credentials the API takes (the session cookie a
 * sign-in link sets, or a bearer token), or undefined for nobody (or credentials that no longer
 * hold: an ended session, a deactivated person). The one place a page learns its actor. A session
 * whose expiry slid forward gets its cookie re-set once the page has answered.
 */
export async function resolvePageActor(deps: PageDeps, c: Context<PageEnv>): Promise<{ actor: Actor; slid?: () => void } | undefined> {
  try {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const match = /^Bearer ([A-Za-z0-9_\-.]{1,4096})$/.exec(header);
      return match?.[1] ? { actor: await deps.principals.resolve(await deps.accessTokens.verify(match[1])) } : undefined;
    }
    const secret = getCookie(c, sessionCookieName);
    if (secret === undefined) return undefined;
    const session = await deps.sessions.resolve(secret);
    if (!session) return undefined;
    const actor = await deps.principals.resolve(session.claims);
    c.set('session', { id: session.sessionId, expiresAt: session.expiresAt });
    return { actor, ...(session.slid ? { slid: () => setSessionCookie(c, deps.config.PUBLIC_URL, secret, session.expiresAt) } : {}) };
  } catch (error) {
    if (error instanceof DomainError) return undefined;
    throw error;
  }
}

/** Where a page may send the browser back to: one of our pages, never another site. */
const localPagePattern = /^\/app(\/[A-Za-z0-9\-._~%/]*)?(\?[A-Za-z0-9\-._~%=&+]*)?$/;

export function isLocalPage(path: string | undefined): path is string {
  return path !== undefined && path.length <= 500 && localPagePattern.test(path) && !path.includes('//') && !path.includes('/.');
}

/** The sign-in page, coming back to `next` (a page of ours) once signed in. */
export function signInHref(next?: string): string {
  return isLocalPage(next) && next !== '/app/sign-in' && !next.startsWith('/app/sign-in?') ? `/app/sign-in?${new URLSearchParams({ next })}` : '/app/sign-in';
}

/**
 * Not signed in: off to the sign-in page, which comes back here (so a check-in QR scanned before
 * signing in still checks in). Signed in with a role this area is not for: 403.
 */
export function requireRole(...roles: Actor['role'][]): MiddlewareHandler<PageEnv> {
  return async (c, next) => {
    const { actor, here } = c.get('page');
    if (!actor) return c.redirect(signInHref(c.req.method === 'GET' ? here : undefined), 303);
    if (!roles.includes(actor.role)) throw new DomainError('forbidden', 'this page is for another role');
    await next();
  };
}

/** The signed-in actor of a page behind requireRole. */
export function pageActor<R extends Actor['role']>(c: Context<PageEnv>, role: R): Extract<Actor, { role: R }> {
  const actor = c.get('page').actor;
  if (!actor || actor.role !== role) throw new DomainError('forbidden', 'this page is for another role');
  return actor as Extract<Actor, { role: R }>;
}


/** Page forms are small: a code, a choice, a few words. */
export const pageFormBytesMax = 8 * 1024;
const pageFormFieldsMax = 50;

/**
 * Reads an application/x-www-form-urlencoded body of at most pageFormBytesMax bytes, after the
 * same-origin check. The first value of each field; unknown fields are the caller's to ignore.
 */
export async function readForm(c: Context<PageEnv>, publicUrl: string): Promise<Record<string, string>> {
  // The same rule as a cookie write to the API: only from this service's own pages (csrf_refused).
  requireSameOrigin(c, publicUrl);
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded(\s*;.*)?$/i.test(type)) throw new DomainError('unsupported_media_type', 'pages take forms (application/x-www-form-urlencoded)');
  const length = Number(c.req.header('content-length') ?? '0');
  if (length > pageFormBytesMax) throw new DomainError('payload_too_large', `forms are limited to ${pageFormBytesMax} bytes`);
  const text = Buffer.from(await readWebBody(c.req.raw, pageFormBytesMax, () => new DomainError('payload_too_large', `forms are limited to ${pageFormBytesMax} bytes`))).toString('utf8');
  const form: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of new URLSearchParams(text)) {
    if (++count > pageFormFieldsMax) break;
    if (!(key in form)) form[key] = value.replaceAll('\u0000', '');
  }
  return form;
}

