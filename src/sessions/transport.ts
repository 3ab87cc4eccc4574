import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { ProviderIdentity } from '../auth/oidc.js';
import { sessionCookieName } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { DomainError } from '../errors.js';
import { clientAddress, isCrossSite } from '../http/middleware.js';
import { clearSessionCookie, setSessionCookie } from '../http/session-cookie.js';
import { deviceLabelFrom } from './device.js';
import { endSession, signInWithCode, type SignedIn } from './service.js';

/**
 * The browser side of signing in and out, shared by the API routes and the pages (a page is another
 * transport, so it calls these rather than repeating them): cookies, the client's address for the
 * guessing limits, the login-CSRF check, and the provider identity waiting to be linked.
 */

/** The cookie holding a provider identity that found nobody, until a sign-in code links it. */
export const linkCookieName = 'jifen_oidc_link';
/** How long a pending identity waits for its sign-in code. */
export const linkCookieTtlSeconds = 15 * 60;

const cookieAttributes = (publicUrl: string) => ({ httpOnly: true, sameSite: 'Lax', path: '/', secure: publicUrl.startsWith('https:') }) as const;

export async function setPendingIdentity(c: Context, deps: Pick<Deps, 'config' | 'oidc'>, identity: ProviderIdentity): Promise<void> {
  if (!deps.oidc) return;
  const value = await deps.oidc.seal('link', identity, linkCookieTtlSeconds);
  setCookie(c, linkCookieName, value, { ...cookieAttributes(deps.config.PUBLIC_URL), maxAge: linkCookieTtlSeconds });
}

/** The provider identity this browser brought back unlinked, if its signed cookie is still good. */
export async function pendingIdentity(c: Context, deps: Pick<Deps, 'oidc'>): Promise<ProviderIdentity | undefined> {
  const value = getCookie(c, linkCookieName);
  if (!value || !deps.oidc) return undefined;
  const claims = await deps.oidc.open('link', value);
  return claims && typeof claims.issuer === 'string' && typeof claims.subject === 'string' ? { issuer: claims.issuer, subject: claims.subject } : undefined;
}

export function clearPendingIdentity(c: Context, deps: Pick<Deps, 'config'>): void {
  deleteCookie(c, linkCookieName, cookieAttributes(deps.config.PUBLIC_URL));
}

/**
 * Signs this browser in with a code: refuses a request another site started (login CSRF), applies
 * the guessing limits to the client's address, links a pending provider identity, ends the session
 * the browser had before, and sets the session cookie. Errors are the service's (401
 * sign_in_code_invalid, 429 rate_limited, 403 csrf_refused).
 */
export async function signInBrowser(
  c: Context,
  deps: Deps,
  input: { code: string; deviceLabel?: string | undefined },
): Promise<SignedIn & { identityLinked: boolean }> {
  const publicUrl = deps.config.PUBLIC_URL;
  try {
    if (isCrossSite(c, publicUrl)) throw new DomainError('csrf_refused', 'signing in must start from this service\'s own pages');
    const pending = await pendingIdentity(c, deps);
    const previous = getCookie(c, sessionCookieName);
    const signedIn = await signInWithCode(deps, {
      code: input.code,
      deviceLabel: input.deviceLabel ?? deviceLabelFrom(c.req.header('user-agent')),
      client: clientAddress(c, deps.config.TRUST_PROXY),
      pendingIdentity: pending,
    });
    // One browser, one session: the one it had before is ended rather than left to expire.
    if (previous) await endSession(deps, previous);
    if (pending) clearPendingIdentity(c, deps);
    setSessionCookie(c, publicUrl, signedIn.secret, new Date(signedIn.expiresAt));
    deps.metrics.signIns.inc({ method: 'code', outcome: 'ok' });
    return signedIn;
  } catch (error) {
    if (error instanceof DomainError) deps.metrics.signIns.inc({ method: 'code', outcome: signInOutcome(error) });
    throw error;
  }
}

/** The metrics outcome of a refused sign-in. */
export function signInOutcome(error: DomainError): string {
  switch (error.code) {
    case 'sign_in_code_invalid':
      return 'invalid';
    case 'rate_limited':
      return 'limited';
    case 'identity_not_linked':
      return 'not_linked';
    default:
      return 'refused';
  }
}

/**
 * Signs this browser out: ends the session its cookie names (if any) and clears the cookie. The
 * caller applies the CSRF rule first (requireSameOrigin), as for any write made with the cookie.
 */
export async function signOutBrowser(c: Context, deps: Pick<Deps, 'db' | 'config'>): Promise<void> {
  const secret = getCookie(c, sessionCookieName);
  if (secret) await endSession(deps, secret);
  clearSessionCookie(c, deps.config.PUBLIC_URL);
}
