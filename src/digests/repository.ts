import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export interface DigestRow {
  id: string;
  day: string;
  as_of: Date;
  digest: string;
  accounts: number;
  entries: number;
  recorded_by: string;
  recorded_at: Date;
}

const columns = sql`id, day::text as day, as_of, digest, accounts, entries, recorded_by, recorded_at`;

/** Today in the programme time zone. */
export async function programmeDay(db: Db, tz: string): Promise<string> {
  const result = await sql<{ day: string }>`select (now() at time zone ${tz})::date::text as day`.execute(db);
  return result.rows[0]?.day ?? '';
}

/**
 * Records a day's digest unless that day already has one; the unique day decides between two
 * offices pressing the button at once. Returns the new row, or undefined when the day was taken.
 */
export async function insertDigest(db: Db, row: Omit<DigestRow, 'recorded_at'>): Promise<DigestRow | undefined> {
  const result = await sql<DigestRow>`
    insert into ledger_digests (id, day, as_of, digest, accounts, entries, recorded_by)
    values (${row.id}, ${row.day}::date, ${row.as_of}, ${row.digest}, ${row.accounts}, ${row.entries}, ${row.recorded_by})
    on conflict (day) do nothing
    returning ${columns}`.execute(db);
  return result.rows[0];
}

export async function findDigestByDay(db: Db, day: string): Promise<DigestRow | undefined> {
  const result = await sql<DigestRow>`select ${columns} from ledger_digests where day = ${day}::date`.execute(db);
  return result.rows[0];
}

export async function findDigest(db: Db, id: string): Promise<DigestRow | undefined> {
  const result = await sql<DigestRow>`select ${columns} from ledger_digests where id = ${id}`.execute(db);
  return result.rows[0];
}

/** Newest day first, after the day `before` (exclusive) when paging. */
export async function listDigests(db: Db, q: { before: string | undefined; limit: number }): Promise<DigestRow[]> {
  const result = await sql<DigestRow>`
    select ${columns} from ledger_digests
     where ${q.before ?? null}::date is null or day < ${q.before ?? null}::date
     order by day desc
     limit ${q.limit}`.execute(db);
  return result.rows;
}
