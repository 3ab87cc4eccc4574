import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ExportLine } from '../schemas.js';

export interface ExportCursor {
  createdAt: string;
  transactionId: string;
}

/**
 * A batch of ledger postings for the export: `transactions` whole transactions after the cursor in
 * (time, id) order, served by the ledger_transactions (created_at, id) index, with their postings.
 * Time travels as text with microseconds, and is bound as text (postgres.js turns a parameter
 * typed timestamptz into a JavaScript Date, which keeps only milliseconds): a rounded cursor would
 * make the keyset repeat every transaction of the same instant.
 */
export async function exportLines(db: Db, q: { from: Date; to: Date; after: ExportCursor | undefined; transactions: number }): Promise<ExportLine[]> {
  // The lower bound is one plain range condition (never `cursor is null or ...`), so every batch is
  // an index range scan that starts where the last one ended, rather than a rescan from `from`.
  const after = q.after
    ? sql`(created_at, id) > (${q.after.createdAt}::text::timestamptz, ${q.after.transactionId}::uuid)`
    : sql`created_at >= ${q.from}`;
  const result = await sql<ExportLine>`
    select p.id as "postingId", t.id as "transactionId",
           to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "createdAt",
           t.kind, p.account_id as "accountId", a.kind as "accountKind", a.owner_id as "ownerId", p.seq, p.amount,
           p.balance_after as "balanceAfter", t.reverses_id as "reversesTransactionId", t.reference, t.memo
      from (
        select id, kind, created_at, reverses_id, reference, memo
          from ledger_transactions
         where created_at < ${q.to} and ${after}
         order by created_at, id
         limit ${q.transactions}
      ) t
      -- A lateral subquery with OFFSET 0 cannot be flattened into a hash join, so each batch reads
      -- its transactions' postings through the transaction index instead of scanning the table.
      cross join lateral (
        select id, account_id, seq, amount, balance_after from ledger_postings where transaction_id = t.id offset 0
      ) p
      join accounts a on a.id = p.account_id
     order by t.created_at, t.id, p.id`.execute(db);
  return result.rows;
}
