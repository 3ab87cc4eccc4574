/**
 * Security headers and the notion of a request carrying credentials, shared by the middleware and
 * the problem responses (which are built as plain Responses and so carry their headers themselves).
 */

/** The cookie that carries a signed-in person's session; its presence counts as credentials. */
export const sessionCookieName = 'jifen_session';
const sessionCookie = new RegExp(`(?:^|;)\\s*${sessionCookieName}=`);

/** A request carries credentials when it has an Authorization header or a session cookie, valid or not. */
export function hasCredentials(authorization: string | undefined, cookie: string | undefined): boolean {
  return authorization !== undefined || (cookie !== undefined && sessionCookie.test(cookie));
}

/**
 * The Content-Security-Policy of every answer. Pages and the API reference load scripts, styles and
 * images from this origin only (no inline script or style), may not be framed, and may only submit
 * forms and connect back here; blob: and data: images, media and workers serve the QR scanner and
 * camera. On a JSON answer the policy does nothing, so it is sent on all of them rather than
 * guessing which answers a browser renders.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sent on every answer. */
export const baselineSecurityHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': contentSecurityPolicy,
  // For browsers that predate frame-ancestors.
  'x-frame-options': 'DENY',
  // Links may carry sign-in or check-in codes; no other site learns them from a Referer.
  'referrer-policy': 'no-referrer',
};
