import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { Db, Tx } from '../db/database.js';
import { validationFailed } from '../errors.js';

/** Idempotency-Key values: printable ASCII, bounded, so a key is safe to store and to log. */
export const idempotencyKeyPattern = /^[\x21-\x7e]{1,200}$/;

/** How long a completed request's response is kept for replay; the HTTP contract promises at least 24 hours. */
export const idempotencyRetentionHours = 48;

export interface IdempotencyScope {
  caller: string;
  key: string;
  hash: string;
}

/** Keys are scoped per caller: two callers may use the same key without colliding. */
export function callerOf(actor: Actor): string {
  return `${actor.role}:${actor.id}`;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A hash of what the request asks for: the operation and its validated body, keys sorted. */
export function requestHash(operation: string, body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([operation, canonical(body)]))
    .digest('base64url');
}

export function idempotencyScope(actor: Actor, key: string | undefined, operation: string, body: unknown, required: boolean): IdempotencyScope | undefined {
  if (key === undefined) {
    if (required) throw validationFailed([{ path: 'header.Idempotency-Key', message: 'required for requests that move points' }]);
    return undefined;
  }
  if (!idempotencyKeyPattern.test(key)) throw validationFailed([{ path: 'header.Idempotency-Key', message: '1 to 200 printable ASCII characters' }]);
  return { caller: callerOf(actor), key, hash: requestHash(operation, body) };
}

/** A write's answer, and whether it is the stored answer of an earlier identical request. */
export interface Replayable<T> {
  body: T;
  replayed: boolean;
}

/** A Replayable answer with the HTTP status it was stored with. */
export interface StoredResponse<T> extends Replayable<T> {
  status: number;
}

/**
 * Runs `work` inside the caller's transaction under an idempotency key: a completed request with the
 * same key and body returns its stored response, a different body is refused (422), a duplicate in
 * flight is refused (409). The response is stored in the same transaction as the effect, so either
 * both happen or neither does.
 */
export async function idempotent<T>(tx: Tx, scope: IdempotencyScope | undefined, work: () => Promise<{ status: number; body: T }>): Promise<StoredResponse<T>> {
  if (scope) {
    const existing = await sql<{ r: { status: number; body: T } | null }>`select idempotency_begin(${scope.caller}, ${scope.key}, ${scope.hash}) as r`.execute(tx);
    const stored = existing.rows[0]?.r;
    if (stored) return { ...stored, replayed: true };
  }
  const result = await work();
  if (scope) {
    await sql`select idempotency_finish(${scope.caller}, ${scope.key}, ${scope.hash}, ${result.status}, ${JSON.stringify(result.body)}::text::jsonb)`.execute(tx);
  }
  return { ...result, replayed: false };
}

/** Forgets responses older than the retention period; ledger rows are never touched. */
export async function purgeIdempotencyKeys(db: Db): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${idempotencyRetentionHours})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}
