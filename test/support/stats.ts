import { sql } from 'kysely';
import type { TestApp } from './app.js';
import type { ScratchDatabase } from './setup.js';

export interface TableReads {
  seqScans: number;
  indexScans: number;
}

/**
 * How often each table has been read so far, by sequential scans and by index scans, as PostgreSQL's
 * statistics hold them. The app must run on `scratch` with one connection (DB_POOL_MAX=1): that
 * session is asked to report its counters when it next goes idle, at once rather than after the
 * usual delay of up to ten seconds.
 */
export async function tableReads(app: TestApp, scratch: ScratchDatabase, tables: string[]): Promise<Record<string, TableReads>> {
  await sql`select pg_stat_force_next_flush()`.execute(app.deps.db);
  await sql`select 1`.execute(app.deps.db);
  const rows = await scratch.sql.begin(async (tx): Promise<{ relname: string; seq_scan: string; idx_scan: string | null }[]> => {
    await tx`select pg_stat_clear_snapshot()`;
    return tx.unsafe('select relname, seq_scan, idx_scan from pg_stat_user_tables where relname = any($1)', [tables]);
  });
  return Object.fromEntries(rows.map((r) => [r.relname, { seqScans: Number(r.seq_scan), indexScans: Number(r.idx_scan ?? 0) }]));
}
