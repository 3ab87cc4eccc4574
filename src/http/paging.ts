import { uuidPattern } from '../db/ids.js';
import { validationFailed } from '../errors.js';

/**
 * Cursors are opaque to clients: base64url of a small JSON array holding the keyset position.
 * A cursor that does not decode to the expected shape is a validation error, never a 500.
 */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === arity && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
      return value as (string | number)[];
    }
  } catch {
    // fall through to the validation error
  }
  throw validationFailed([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
}

/** Splits a fetched page of limit+1 rows into the page and the cursor for the next one. */
export function pageFrom<T>(rows: T[], limit: number, positionOf: (row: T) => (string | number)[]): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(positionOf(items[items.length - 1] as T)) };
}

/** The id of the last row seen, for lists ordered by id alone. */
export function decodeIdCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const [id] = decodeCursor(cursor, 1);
  if (typeof id !== 'string' || !uuidPattern.test(id)) throw validationFailed([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
  return id;
}
