import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Actor } from '../auth/actor.js';
import type { Oidc } from '../auth/oidc.js';
import type { PrincipalResolver } from '../auth/principals.js';
import { sessionCookieName, type SessionResolver } from '../auth/sessions.js';
import { clearSessionCookie, setSessionCookie } from './session-cookie.js';
import { DomainError, validationFailed } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AccessTokens } from '../tokens/access.js';
import type { AppEnv } from './env.js';
import type { Metrics } from './metrics.js';
import { hasCredentials } from './security.js';

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a well-formed X-Request-Id from the caller (or mints one), echoes it, and opens a per-request log. */
export function requestContext(logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const offered = c.req.header('x-request-id');
    const requestId = offered && requestIdPattern.test(offered) ? offered : randomUUID();
    // Most requests never log (request lines are at info), and a pino child costs a serialisation
    // of its bindings, so it is made only when something logs.
    let child: Logger | undefined;
    const log = () => (child ??= logger.child({ requestId }));
    c.set('requestId', requestId);
    c.set('log', log);
    const started = performance.now();
    // Set before the handler runs: a header added to a finished response forces @hono/node-server
    // to rebuild it as a full web Response and stream it out in pieces, which costs far more than the
    // request itself. Problem responses carry the id themselves.
    c.header('x-request-id', requestId);
    await next();
    const ms = performance.now() - started;
    const status = c.res.status;
    const route = c.req.routePath && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
    metrics.observeRequest(c.req.method, route, status, ms / 1000);
    const level = status >= 500 ? 'error' : 'info';
    if (logger.isLevelEnabled(level)) {
      const actor = c.get('actor');
      log()[level]({ method: c.req.method, path: c.req.path, route, status, ms: Math.round(ms * 10) / 10, actor: actor ? { role: actor.role, id: actor.id } : undefined }, 'request');
    }
  };
}

/**
 * Operations anyone may call without credentials: signing in, and what the sign-in page needs to
 * know before anyone has. Everything else under /v1 requires a caller.
 */
export const publicOperations: readonly { method: string; path: string }[] = [
  { method: 'POST', path: '/v1/sessions' },
  { method: 'GET', path: '/v1/sign-in-options' },
];

export function isPublicOperation(method: string, path: string): boolean {
  return publicOperations.some((op) => op.method === method && op.path === path);
}

export interface Authenticators {
  principals: PrincipalResolver;
  tokens: AccessTokens;
  sessions: SessionResolver;
  /** The programme's OpenID provider, whose access tokens are accepted as bearer tokens too. */
  oidc?: Oidc | undefined;
  publicUrl: string;
}

/**
 * Requires a caller: a bearer access token (ours, or the OpenID provider's for a linked identity),
 * or the browser session cookie, naming an active principal; sets `actor` (and `session` for a
 * cookie). When both are sent the bearer token decides and the cookie is ignored. A write made with
 * the cookie must come from this service's own pages (see requireSameOrigin); bearer requests carry
 * no ambient credential and need no such check.
 */
export function authenticate(auth: Authenticators): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (isPublicOperation(c.req.method, c.req.path)) return next();
    const caller = await identify(c, auth);
    if (!caller) throw new DomainError('unauthorized', 'missing bearer token or session cookie');
    if (caller.session && !safeMethods.has(c.req.method)) requireSameOrigin(c, auth.publicUrl);
    c.set('actor', caller.actor);
    if (caller.session) c.set('session', caller.session);
    await next();
  };
}

/**
 * Who a request's credentials name: the bearer token when there is one, else the session cookie;
 * undefined when it carries neither. Credentials that do not hold (a bad token, an ended session,
 * an inactive person) throw 401 (or 403 identity_not_linked), and an ended session's cookie is
 * cleared. A session's slid expiry is written back to its cookie. The CSRF rule is the caller's to
 * apply (requireSameOrigin), so the pages can use this for their own requests.
 */
export async function identify(c: Context, auth: Authenticators): Promise<{ actor: Actor; session?: { id: string; expiresAt: Date } } | undefined> {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_\-.]{1,4096})$/.exec(header);
    if (!match?.[1]) throw new DomainError('unauthorized', 'malformed Authorization header');
    const token = match[1];
    const claims = auth.oidc?.issued(token) ? await auth.oidc.claimsFrom(token) : await auth.tokens.verify(token);
    return { actor: await auth.principals.resolve(claims) };
  }
  const secret = getCookie(c, sessionCookieName);
  if (secret === undefined) return undefined;
  const session = await auth.sessions.resolve(secret);
  if (!session) {
    clearSessionCookie(c, auth.publicUrl);
    throw new DomainError('unauthorized', 'the session has ended or expired; sign in again');
  }
  const actor = await auth.principals.resolve(session.claims);
  if (session.slid) setSessionCookie(c, auth.publicUrl, secret, session.expiresAt);
  return { actor, session: { id: session.sessionId, expiresAt: session.expiresAt } };
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * True when the browser says the request comes from this service's own pages: its `Origin` is
 * PUBLIC_URL's origin or the origin the request itself was sent to, or, without an Origin,
 * `Sec-Fetch-Site: same-origin`. A request that says neither is not trusted.
 */
export function isSameOrigin(headers: { origin?: string | undefined; secFetchSite?: string | undefined; host?: string | undefined }, publicUrl: string): boolean {
  const { origin, secFetchSite, host } = headers;
  if (origin !== undefined && origin !== 'null') {
    if (origin === new URL(publicUrl).origin) return true;
    try {
      return host !== undefined && new URL(origin).host === host.toLowerCase();
    } catch {
      return false;
    }
  }
  return secFetchSite === 'same-origin';
}

/**
 * The CSRF rule for anything acting on the session cookie (an /v1 write, or a page's own form post):
 * refuses with 403 csrf_refused unless the request comes from our own origin (see isSameOrigin).
 */
export function requireSameOrigin(c: Context, publicUrl: string): void {
  const headers = { origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site'), host: c.req.header('host') };
  if (!isSameOrigin(headers, publicUrl)) {
    throw new DomainError('csrf_refused', 'a write using the session cookie must come from this service\'s own pages (Origin or Sec-Fetch-Site)');
  }
}

/**
 * True when the browser tells us the request comes from another site (a foreign Origin, or
 * Sec-Fetch-Site cross-site or same-site). Used where no cookie is needed yet (signing in), to stop
 * another site signing a browser into someone else's account, while clients that send neither
 * header (scripts, the counter's own app) are let through.
 */
export function isCrossSite(c: Context, publicUrl: string): boolean {
  const origin = c.req.header('origin');
  const secFetchSite = c.req.header('sec-fetch-site');
  if (origin === undefined && (secFetchSite === undefined || secFetchSite === 'none')) return false;
  return !isSameOrigin({ origin, secFetchSite, host: c.req.header('host') }, publicUrl);
}

/**
 * The address a request came from, for limits per client: the socket's peer, or with `trustProxy`
 * the last X-Forwarded-For entry (the one our own proxy added; earlier entries are the client's word).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for');
    const last = forwarded?.split(',').pop()?.trim();
    if (last) return last.slice(0, 100);
  }
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming as { socket?: { remoteAddress?: string } } | undefined;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

const utf8 = new TextDecoder();

/**
 * Writes anyone may send without credentials: signing in (a code in exchange for a session).
 * Every other write from a caller with no credentials is refused before its body is read.
 */
export const publicWrites: readonly { method: string; path: string }[] = publicOperations.filter((op) => op.method !== 'GET');

/** Deepest nesting of arrays and objects a body may have; ours need four or five levels. */
export const bodyDepthMax = 32;

export interface BodyRules {
  maxBytes: number;
  /** Whether some route answers this method at this path (false: the 404 or 405 needs no body). */
  answers: (method: string, path: string) => boolean;
}

/**
 * Reads a request body once, within `maxBytes` (declared or chunked), requires it to be JSON, parses
 * it (to refuse bad JSON, bodies nested deeper than bodyDepthMax, and strings PostgreSQL cannot
 * store, with a clear error), and hands the text to the route's validator through Hono's body cache.
 *
 * A write that carries no credentials (no Authorization header, no session cookie) and is not one
 * of the publicWrites is answered 401 before a byte of its body is read: whatever it holds, an
 * anonymous caller costs no parsing. A write to a route that does not exist is left unread for the
 * 404 or 405.
 *
 * Under @hono/node-server the bytes come straight from Node's IncomingMessage: Hono's own bodyLimit
 * touches `c.req.raw.body`, which makes the adapter build a full web Request with a ReadableStream
 * for every POST, costing more than the rest of a small request. Elsewhere (app.request in tests)
 * the web body stream is read with the same limit.
 */
export function readJsonBody(rules: BodyRules): MiddlewareHandler<AppEnv & { Bindings: Partial<HttpBindings> }> {
  const { maxBytes } = rules;
  const tooLarge = () => new DomainError('payload_too_large', `request bodies are limited to ${maxBytes} bytes`);
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    if (!hasCredentials(c.req.header('authorization'), c.req.header('cookie'))) {
      const path = c.req.path;
      if (!publicWrites.some((w) => w.method === method && w.path === path)) {
        if (!rules.answers(method, path)) return next();
        throw new DomainError('unauthorized', 'this request needs a bearer token or a session');
      }
    }
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    const hasBody = (length !== undefined && length !== '0') || chunked;
    if (!hasBody) return next();
    const type = c.req.header('content-type');
    if (type && !/^application\/json(\s*;.*)?$/i.test(type)) {
      throw new DomainError('unsupported_media_type', 'request bodies must be application/json');
    }
    if (!chunked && Number(length) > maxBytes) throw tooLarge();
    const incoming = c.env?.incoming;
    const bytes = incoming ? await readIncoming(incoming, maxBytes, tooLarge) : await readWebBody(c.req.raw, maxBytes, tooLarge);
    const text = utf8.decode(bytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw validationFailed([{ path: '', message: 'the request body is not valid JSON' }]);
    }
    // PostgreSQL cannot store U+0000 in text, nor a lone UTF-16 surrogate in jsonb (and in text it
    // would silently become U+FFFD). One rule for every string and key of every body: refused here,
    // naming the field, before any statement sees it. Both can only arrive as \u escapes (the
    // decoder has already turned raw bytes that are not UTF-8 into U+FFFD), so most bodies skip
    // the string checks; the depth is checked on every body, since the validators walk recursively.
    const found = inspectBody(parsed, /\\u(?:0000|d[89a-f])/i.test(text));
    if (found) throw validationFailed([found]);
    // Hono's c.req.json() reads the *text* cache and parses it; with only a cached `json` it would
    // stringify that and read it back through a web Response, which costs more than the request.
    // (Hono types the cache by value, but stores and reads promises.)
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    await next();
  };
}

function readIncoming(incoming: IncomingMessage | Http2ServerRequest, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        // Stop reading; the adapter drains or closes the connection after the 413 is sent.
        incoming.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      if (!incoming.readableEnded) onError(new Error('the client closed the connection before sending the whole body'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/** A web Request's body, at most `maxBytes` (the reading stops, and `tooLarge()` is thrown, past it). */
export async function readWebBody(request: Request, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (loneSurrogate.test(text)) return 'must not contain a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff)';
  return undefined;
}

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | undefined;
  depth: number;
}

const pathOf = (visit: Visit): string => {
  const keys: string[] = [];
  for (let v: Visit | undefined = visit; v?.parent; v = v.parent) keys.push(v.key);
  return keys.reverse().join('.');
};

/**
 * Walks a parsed body without recursion (a hostile body may nest 100,000 arrays): the first value
 * nested deeper than bodyDepthMax, or, when `checkStrings`, the first string or key PostgreSQL
 * cannot store, as a field error with its dotted path.
 */
function inspectBody(body: unknown, checkStrings: boolean): { path: string; message: string } | undefined {
  const stack: Visit[] = [{ value: body, key: '', parent: undefined, depth: 0 }];
  for (let visit = stack.pop(); visit; visit = stack.pop()) {
    const { value, depth } = visit;
    if (checkStrings && visit.parent) {
      const message = unstorable(visit.key);
      if (message) return { path: pathOf(visit), message };
    }
    if (typeof value === 'string') {
      const message = checkStrings ? unstorable(value) : undefined;
      if (message) return { path: pathOf(visit), message };
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth >= bodyDepthMax) return { path: pathOf(visit), message: `the body is nested deeper than ${bodyDepthMax} levels` };
    const entries = Object.entries(value);
    // Pushed in reverse so the first field is looked at first, as a reader would.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      stack.push({ value: child, key, parent: visit, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Most callers remembered by the rate limiter; beyond it the longest-idle are forgotten. */
const rateLimitCallersMax = 100_000;

/**
 * Per-caller token bucket: `perSecond` sustained, `burst` at once. Runs after authentication so a
 * caller is its role and id, whatever address it comes from. Limits are per instance.
 */
export function rateLimit(perSecond: number, burst: number): MiddlewareHandler<AppEnv> {
  const buckets = new Map<string, { tokens: number; updatedMs: number }>();
  return async (c, next) => {
    const actor = c.get('actor') as AppEnv['Variables']['actor'] | undefined;
    // Public operations have no caller; signing in keeps its own limits per client address.
    if (perSecond > 0 && actor) {
      const caller = `${actor.role}:${actor.id}`;
      const now = Date.now();
      let bucket = buckets.get(caller);
      if (bucket) {
        buckets.delete(caller);
        bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * perSecond);
        bucket.updatedMs = now;
      } else {
        if (buckets.size >= rateLimitCallersMax) {
          const oldest = buckets.keys().next();
          if (!oldest.done) buckets.delete(oldest.value);
        }
        bucket = { tokens: burst, updatedMs: now };
      }
      // Re-inserting keeps the map in least-recently-used order for eviction.
      buckets.set(caller, bucket);
      if (bucket.tokens < 1) {
        const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
        throw new DomainError('rate_limited', `at most ${perSecond} requests per second per caller (bursts of ${burst})`, {}, retryAfter);
      }
      bucket.tokens -= 1;
    }
    await next();
  };
}
