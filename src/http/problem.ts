import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { mapDatabaseError } from '../db/errors.js';
import { DomainError, errorCatalogue, type ErrorCode } from '../errors.js';
import type { AppEnv } from './env.js';
import { baselineSecurityHeaders } from './security.js';

export const problemType = (code: string) => `urn:jifen:problem:${code}`;

/**
 * RFC 9457's members, plus our `code` and `requestId`: an extension can never replace them (a
 * problem whose `status` said "cancelled" once told clients the HTTP status was a word). Extensions
 * go first and the standard members are written over them.
 */
const reservedMembers = ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId'] as const;

export function problemBody(code: ErrorCode, detail: string, requestId: string | undefined, extensions: Record<string, unknown> = {}) {
  const { status, title } = errorCatalogue[code];
  const extra: Record<string, unknown> = { ...extensions };
  for (const member of reservedMembers) delete extra[member];
  return { ...extra, type: problemType(code), title, status, detail, code, ...(requestId ? { requestId } : {}) };
}

export function problemResponse(c: Context<AppEnv>, error: DomainError): Response {
  // Built as a plain Response, so it carries the security headers itself; a refusal is never cached.
  const headers = new Headers({ ...baselineSecurityHeaders, 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
  const requestId = c.get('requestId');
  if (requestId) headers.set('x-request-id', requestId);
  if (error.retryAfterSeconds !== undefined) headers.set('retry-after', String(error.retryAfterSeconds));
  // Cookies set or cleared before the error stand: a sign-in that fails still spends its one-time
  // login cookie, and a refused provider identity still waits for its sign-in code.
  for (const line of c.res.headers.getSetCookie()) headers.append('set-cookie', line);
  const body = problemBody(error.code, error.message, c.get('requestId'), error.extensions);
  return new Response(JSON.stringify(body), { status: error.status, headers });
}

/** Hono's own exceptions (malformed JSON, body limit) translated into the service's vocabulary. */
function fromHttpException(error: HTTPException): DomainError {
  switch (error.status) {
    case 400:
      return new DomainError('validation_failed', error.message || 'malformed request', { errors: [{ path: '', message: error.message || 'malformed request body' }] });
    case 401:
      return new DomainError('unauthorized', error.message || undefined);
    case 413:
      return new DomainError('payload_too_large');
    case 415:
      return new DomainError('unsupported_media_type');
    default:
      return new DomainError(error.status >= 500 ? 'internal_error' : 'validation_failed', error.message);
  }
}

/**
 * The single place where an error becomes a response. Domain errors and mapped database errors
 * keep their code; anything else is a bug, logged with its stack and answered with a bare 500
 * carrying only the request id.
 */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  const mapped = error instanceof HTTPException ? fromHttpException(error) : mapDatabaseError(error);
  const log = c.get('log');
  if (mapped instanceof DomainError) {
    if (mapped.status >= 500) log?.().error({ err: error, code: mapped.code }, 'request failed');
    return problemResponse(c, mapped);
  }
  log?.().error({ err: error }, 'unhandled error');
  return problemResponse(c, new DomainError('internal_error', `internal error; quote request id ${c.get('requestId') ?? 'unknown'}`));
}
