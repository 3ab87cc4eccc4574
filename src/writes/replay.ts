import type { Context } from 'hono';
import type { AppEnv } from '../http/env.js';
import { z } from '../http/openapi.js';
import { idempotencyScope, type IdempotencyScope, type Replayable } from './idempotency.js';

/**
 * How the write path shows in HTTP, for every route that writes under an Idempotency-Key: the
 * request header and its OpenAPI description, the Idempotent-Replayed response header, the two
 * errors a key can bring, and the two steps a handler takes (read the scope, mark a replay).
 */

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({ description: 'Idempotency-Key: required; unique per intended operation (per caller); 1-200 printable ASCII characters. Headers are case-insensitive.', example: 'award-2026-11-23-0001' }),
});

/** The Idempotency-Key header of an operation that works without one; `description` says why. */
export function optionalIdempotencyHeaders(description: string) {
  return IdempotencyHeaders.extend({ 'idempotency-key': IdempotencyHeaders.shape['idempotency-key'].openapi({ description }) });
}

/** The response header a replayed answer carries, for a route's success response. */
export const replayHeader = { 'Idempotent-Replayed': { description: 'Present and "true" when this is the stored response of an earlier identical request', schema: { type: 'string' as const } } };

/** The errors any request with an Idempotency-Key may meet. */
export const idempotencyErrors = ['idempotency_key_reused', 'idempotency_in_progress'] as const;

/** The caller's idempotency scope for this request (see idempotencyScope): `operation` names what the body is asked of. */
export function requestIdempotency(c: Context<AppEnv>, operation: string, body: unknown, required: boolean): IdempotencyScope | undefined {
  return idempotencyScope(c.get('actor'), c.req.header('idempotency-key'), operation, body, required);
}

/** Marks a replayed answer with `Idempotent-Replayed: true`; returns the body either way. */
export function replayedBody<T>(c: Context<AppEnv>, outcome: Replayable<T>): T {
  if (outcome.replayed) c.header('idempotent-replayed', 'true');
  return outcome.body;
}
