import { statement, type Db, type Tx } from '../db/database.js';
import type { TransactionKind } from '../db/types.js';
import { randomIssuanceAccount, resolveIssuance } from './accounts.js';

export interface PostingInput {
  /** An account id, or anyIssuanceAccount to let the ledger pick the issuance shard. */
  account: string;
  amount: number;
}

/** ledger_apply's argument (sql/0002_ledger.sql). */
export interface LedgerRequest {
  /**
   * The caller's idempotency scope (an IdempotencyScope of writes/idempotency.ts), stored with the
   * transaction by the same statement. Its shape is spelled out here because the ledger sits below
   * the write path and imports nothing from it.
   */
  idempotency?: { caller: string; key: string; hash: string } | undefined;
  /** Checked in the same round trip: the volunteer exists, is in the organiser's subtree, is active. */
  guard?: { volunteerId: string; scopePath?: string | undefined; requireActive?: boolean } | undefined;
  transaction: {
    id: string;
    kind: TransactionKind;
    memo?: string | null | undefined;
    reference?: string | null | undefined;
    actorRole: string;
    actorId: string;
    /** For a reversal: the transaction undone. Its postings are derived from the original's. */
    reverses?: string | undefined;
  };
  postings?: PostingInput[];
}

export interface PostedTransaction {
  transactionId: string;
  kind: TransactionKind;
  createdAt: string;
  reversesTransactionId: string | null;
  postings: { accountId: string; amount: number; balanceAfter: number }[];
}

export interface LedgerOutcome {
  replayed: boolean;
  status: number;
  result: PostedTransaction;
}

const callLedgerApply = statement<{ r: LedgerOutcome }>('select ledger_apply($1::text::jsonb) as r');

/**
 * Appends one balanced transaction through the database's ledger_apply: lock the touched accounts
 * in id order, refuse to take any account but issuance below zero, append the transaction and its
 * hash-chained postings, and update the cached balances, in one statement. Inside a caller's
 * transaction it joins it. A write standing on its own goes through WriteGroups (writes/groups.ts)
 * instead, which commits it together with whatever else arrives at the same moment.
 */
export async function applyLedger(db: Db | Tx, request: LedgerRequest): Promise<LedgerOutcome> {
  const [row] = await callLedgerApply(db, JSON.stringify(resolveIssuance(request, randomIssuanceAccount())));
  const outcome = row?.r;
  if (!outcome) throw new Error('ledger_apply returned nothing');
  return outcome;
}
