import { z } from '@hono/zod-openapi';

/**
 * The instants any timestamp input may name: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z,
 * judged after the offset is applied. PostgreSQL has no year 0 (it answers a date/time error), and
 * an instant past 9999 would come back in an expanded-year form (+010000-…) no client expects.
 */
export const timestampMinMs = Date.parse('0001-01-01T00:00:00Z');
export const timestampMaxMs = Date.parse('9999-12-31T23:59:59.999Z');
export const timestampRangeMessage = 'must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z once its offset is applied';

/** Whether an instant, in milliseconds since 1970, lies in the accepted range. */
export function instantInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= timestampMinMs && ms <= timestampMaxMs;
}

/**
 * The one schema for every timestamp a client sends, in a query, a body or inside a cursor: ISO
 * 8601 with an offset, within the range above.
 */
export const timestampSchema = z
  .string()
  .datetime({ offset: true })
  .refine((text) => instantInRange(Date.parse(text)), timestampRangeMessage)
  .openapi({ format: 'date-time', example: '2026-11-23T10:00:00+08:00' });

/** Whether a text is an ISO 8601 date-time with an offset (Z or ±hh:mm) naming an instant in range. */
export function timestampInRange(text: string): boolean {
  return timestampSchema.safeParse(text).success;
}
