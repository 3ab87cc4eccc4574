import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { sessionCookieName } from '../auth/sessions.js';

/**
 * The session cookie's attributes, in one place: never readable by scripts (HttpOnly), not sent on
 * other sites' sub-requests or form posts (SameSite=Lax), for the whole site (Path=/), and only
 * over TLS when the service is reached over https (Secure).
 */
function attributes(publicUrl: string) {
  return { httpOnly: true, sameSite: 'Lax', path: '/', secure: publicUrl.startsWith('https:') } as const;
}

/** Sets the session cookie to live as long as the session (re-set whenever its expiry slides). */
export function setSessionCookie(c: Context, publicUrl: string, secret: string, expiresAt: Date): void {
  const maxAge = Math.max(1, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  setCookie(c, sessionCookieName, secret, { ...attributes(publicUrl), maxAge, expires: expiresAt });
}

/** Tells the browser to forget the session cookie. */
export function clearSessionCookie(c: Context, publicUrl: string): void {
  deleteCookie(c, sessionCookieName, attributes(publicUrl));
}
