import type { Actor } from '../auth/actor.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { forbidden, notFound, validationFailed } from '../errors.js';
import { decodeCursor, encodeCursor } from '../http/paging.js';
import { ledgerDigestAsOf } from '../ledger/digest.js';
import { findDigest, findDigestByDay, insertDigest, listDigests, programmeDay, type DigestRow } from './repository.js';
import type { DigestCheck, DigestRecord } from './schemas.js';

/**
 * The digests the programme office records for the auditor: one a day, kept for good, each
 * re-checkable against the ledger as it is now. Admins only.
 */

function toRecord(row: DigestRow): DigestRecord {
  return {
    id: row.id,
    day: row.day,
    asOf: row.as_of.toISOString(),
    digest: row.digest,
    accounts: row.accounts,
    entries: row.entries,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at.toISOString(),
  };
}

function assertAdmin(actor: Actor) {
  if (actor.role !== 'admin') throw forbidden('only admins record and check ledger digests');
}

/**
 * Records today's digest (as of a minute ago, so no transaction still in flight lands before it).
 * A day has one record: asking again the same day, or two offices at once, gives the record already
 * made (`created` false), never a second one.
 */
export async function recordTodaysDigest(deps: ServiceDeps, actor: Actor): Promise<{ record: DigestRecord; created: boolean }> {
  assertAdmin(actor);
  const day = await programmeDay(deps.db, deps.config.PROGRAMME_TIME_ZONE);
  const existing = await findDigestByDay(deps.db, day);
  if (existing) return { record: toRecord(existing), created: false };
  const digest = await ledgerDigestAsOf(deps, undefined);
  const row = await insertDigest(deps.db, {
    id: newId(),
    day,
    as_of: new Date(digest.asOf),
    digest: digest.digest,
    accounts: digest.accounts,
    entries: digest.entries,
    recorded_by: actor.id,
  });
  if (row) return { record: toRecord(row), created: true };
  const winner = await findDigestByDay(deps.db, day);
  if (!winner) throw new Error(`the digest for ${day} was neither recorded nor found`);
  return { record: toRecord(winner), created: false };
}

/** Recorded digests, newest day first, paged by day. */
export async function listDigestRecords(deps: ServiceDeps, actor: Actor, query: { limit: number; cursor?: string | undefined }): Promise<{ items: DigestRecord[]; nextCursor: string | null }> {
  assertAdmin(actor);
  let before: string | undefined;
  if (query.cursor) {
    const [day] = decodeCursor(query.cursor, 1);
    if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw validationFailed([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
    before = day;
  }
  const rows = await listDigests(deps.db, { before, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { items: page.map(toRecord), nextCursor: rows.length > query.limit && last ? encodeCursor([last.day]) : null };
}

/**
 * A recorded digest, recomputed from the ledger as it is now for the same moment. A mismatch means
 * some ledger row made at or before that moment has changed since: run the full verification to
 * find which.
 */
export async function checkDigestRecord(deps: ServiceDeps, actor: Actor, id: string): Promise<DigestCheck> {
  assertAdmin(actor);
  const row = await findDigest(deps.db, id);
  if (!row) throw notFound('ledger digest');
  const now = await ledgerDigestAsOf(deps, row.as_of.toISOString());
  return { ...toRecord(row), recomputed: now.digest, matches: now.digest === row.digest };
}
