import { DomainError, errorCatalogue, type ErrorCode } from '../errors.js';

/**
 * Domain errors raised inside SQL functions (jifen_raise) arrive as SQLSTATE P0001 with message
 * 'jifen:<code>' and a JSON detail: extra problem fields, and optionally a 'detail' sentence.
 */
function fromRaisedError(error: unknown): DomainError | undefined {
  const e = error as { message?: unknown; detail?: unknown };
  if (typeof e.message !== 'string') return undefined;
  const match = /^jifen:([a-z_]+)$/.exec(e.message);
  if (!match?.[1] || !(match[1] in errorCatalogue)) return undefined;
  let extensions: Record<string, unknown> = {};
  if (typeof e.detail === 'string' && e.detail) {
    try {
      extensions = JSON.parse(e.detail) as Record<string, unknown>;
    } catch {
      extensions = {};
    }
  }
  const { detail, ...rest } = extensions;
  return new DomainError(match[1] as ErrorCode, typeof detail === 'string' ? detail : undefined, rest);
}

/** The SQLSTATE of a driver error, for both postgres.js and PGlite (both expose `code`). */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

export function constraintName(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null) {
    const e = error as { constraint_name?: unknown; constraint?: unknown };
    const name = e.constraint_name ?? e.constraint;
    if (typeof name === 'string') return name;
  }
  return undefined;
}

/** Serialization failures and deadlocks: the transaction did nothing and may simply be run again. */
export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40001' || state === '40P01';
}

const connectionErrorCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);

/**
 * Maps database failures that are not bugs to domain errors, in one place. Anything not listed is
 * returned unchanged and ends as a 500 with only a request id shown.
 */
export function mapDatabaseError(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  const state = sqlState(error);
  if (state === 'P0001') return fromRaisedError(error) ?? error;
  if (state) {
    if (state === '40001' || state === '40P01' || state === '55P03' || state === '57014' || state === '53300' || state === '57P01' || state === '57P03' || state.startsWith('08')) {
      return new DomainError('service_unavailable', 'the database is busy; retry shortly', {}, 1);
    }
    if (state === '23505') return new DomainError('conflict', 'a resource with these values already exists');
    // Date/time out of range, bad offset, unreadable date: validation bounds every timestamp input
    // (src/http/timestamps.ts); this is the backstop for one that slipped past, never a 500.
    if (state === '22008' || state === '22009' || state === '22007') return new DomainError('validation_failed', 'a date or time is out of range or unreadable', { errors: [] });
    if (state === '22003') return new DomainError('validation_failed', 'a number is out of range', { errors: [] });
    // A character PostgreSQL text cannot store (U+0000) that slipped past the request checks.
    if (state === '22P05' || state === '22021') return new DomainError('validation_failed', 'a text value holds a character that cannot be stored', { errors: [] });
    return error;
  }
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && connectionErrorCodes.has(code)) {
      return new DomainError('service_unavailable', 'the database is unreachable; retry shortly', {}, 2);
    }
  }
  return error;
}
