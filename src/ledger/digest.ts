import { sql } from 'kysely';
import type { Actor } from '../auth/actor.js';
import type { Db } from '../db/database.js';
import { DomainError, forbidden } from '../errors.js';

/** How far in the past a default digest is taken, so no transaction still in flight can land before it. */
export const digestLagSeconds = 60;

/**
 * A digest of the ledger as of a moment: sha256 over every account's chain head at that time. An
 * auditor records (asOf, digest); asking again later for the same asOf must give the same digest,
 * or some row at or before that moment was altered.
 */
export async function ledgerDigest(deps: { db: Db }, actor: Actor, asOf: string | undefined) {
  if (actor.role !== 'admin') throw forbidden('only admins read the ledger digest');
  if (asOf && new Date(asOf).getTime() > Date.now()) throw new DomainError('validation_failed', 'asOf must not be in the future', { errors: [{ path: 'query.asOf', message: 'must not be in the future' }] });
  return ledgerDigestAsOf(deps, asOf);
}

/** The digest as of a moment (default: a minute ago), without the role check: for verification and scripts. */
export async function ledgerDigestAsOf(deps: { db: Db }, asOf: string | undefined) {
  const moment = asOf ? new Date(asOf) : new Date(Date.now() - digestLagSeconds * 1000);
  const result = await sql<{ digest: string; accounts: number; entries: number }>`
    select encode(sha256(convert_to(coalesce(string_agg(h.account_id::text || ':' || h.seq || ':' || encode(h.hash, 'hex'), ',' order by h.account_id), ''), 'UTF8')), 'hex') as digest,
           count(*)::bigint as accounts,
           coalesce(sum(h.seq), 0)::bigint as entries
      from (
        select distinct on (account_id) account_id, seq, hash
          from ledger_postings
         where created_at <= ${moment}
         order by account_id, seq desc
      ) h`.execute(deps.db);
  const row = result.rows[0];
  return { digest: row?.digest ?? '', asOf: moment.toISOString(), accounts: row?.accounts ?? 0, entries: row?.entries ?? 0 };
}
