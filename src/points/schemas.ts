import { z } from '../http/openapi.js';
import { timestampSchema } from '../http/timestamps.js';

/** Largest number of points one transaction may move: far below 2^53, so sums stay exact in JSON. */
export const pointsPerTransactionMax = 1_000_000;

const points = z
  .number()
  .int()
  .min(1)
  .max(pointsPerTransactionMax)
  .openapi({ description: `Whole points, 1 to ${pointsPerTransactionMax}`, example: 30 });

const reason = z.string().trim().min(1).max(500).openapi({ description: 'Why; shown on the statement. No personal data.', example: '社区清洁 2 小时' });

export const AwardBody = z.strictObject({ volunteerId: z.string().uuid(), points, reason }).openapi('AwardRequest');

export const AdjustmentBody = z
  .strictObject({
    volunteerId: z.string().uuid(),
    points: z
      .number()
      .int()
      .min(-pointsPerTransactionMax)
      .max(pointsPerTransactionMax)
      .refine((n) => n !== 0, 'must not be zero')
      .openapi({ description: 'Positive credits the volunteer, negative debits it', example: -20 }),
    reason,
  })
  .openapi('AdjustmentRequest');

export const ReverseBody = z.strictObject({ reason }).openapi('ReverseRequest');

export const PointsMovedSchema = z
  .object({
    transactionId: z.string().uuid(),
    volunteerId: z.string().uuid(),
    points: z.number().int().openapi({ description: 'Points credited (negative when debited)' }),
    balance: z.number().int().openapi({ description: "The volunteer's spendable balance right after this transaction" }),
    createdAt: z.string().datetime(),
  })
  .openapi('PointsMoved');

export const ReversalSchema = z
  .object({ transactionId: z.string().uuid(), reversesTransactionId: z.string().uuid(), createdAt: z.string().datetime() })
  .openapi('Reversal');

export const BalanceSchema = z
  .object({
    volunteerId: z.string().uuid(),
    balance: z.number().int().openapi({ description: 'Spendable now' }),
    held: z.number().int().openapi({ description: 'Reserved by unredeemed claims' }),
    lifetimeEarned: z.number().int().openapi({ description: 'Points earned by awards and corrections, net of reversals' }),
    serviceMinutes: z.number().int().openapi({ description: 'Approved service time; never spent, never expires' }),
    starLevel: z.number().int().min(0).max(5),
  })
  .openapi('Balance');

export const StatementItemSchema = z
  .object({
    transactionId: z.string().uuid(),
    kind: z.string(),
    amount: z.number().int(),
    balanceAfter: z.number().int(),
    memo: z.string().nullable(),
    reference: z.string().nullable(),
    reversesTransactionId: z.string().uuid().nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('StatementItem');

export const TransactionSchema = z
  .object({
    id: z.string().uuid(),
    kind: z.string(),
    memo: z.string().nullable(),
    reference: z.string().nullable(),
    actorRole: z.string(),
    actorId: z.string(),
    reversesTransactionId: z.string().uuid().nullable(),
    reversedByTransactionId: z.string().uuid().nullable(),
    createdAt: z.string().datetime(),
    postings: z.array(z.object({ accountId: z.string().uuid(), accountKind: z.string(), ownerId: z.string().uuid().nullable(), amount: z.number().int(), balanceAfter: z.number().int() })),
  })
  .openapi('Transaction');

export const TotalsSchema = z
  .object({
    issued: z.number().int().openapi({ description: 'Net points issued by the programme (awards, corrections and adjustments, net of reversals)' }),
    spendable: z.number().int().openapi({ description: "Sum of volunteers' spendable balances" }),
    held: z.number().int().openapi({ description: 'Reserved by unredeemed claims' }),
    outstanding: z.number().int().openapi({ description: 'The programme liability to volunteers: spendable + held' }),
    redeemed: z.number().int().openapi({ description: 'Redeemed at merchants, ever' }),
    owedToMerchants: z.number().int().openapi({ description: 'Redeemed but not yet settled with merchants' }),
    settled: z.number().int().openapi({ description: 'Settled (paid out) to merchants' }),
    sumOfBalances: z.number().int().openapi({ description: 'Always 0: double entry' }),
    volunteers: z.number().int(),
    transactions: z.number().int(),
  })
  .openapi('LedgerTotals');

export const MismatchSchema = z
  .object({
    problem: z.string().openapi({ description: 'hash_mismatch, chain_broken, sequence_gap, balance_after_mismatch, cached_balance_mismatch, earned_mismatch, unbalanced_transaction or balances_do_not_sum_to_zero' }),
    postingId: z.number().int().nullable(),
    accountId: z.string().uuid().nullable(),
    transactionId: z.string().uuid().nullable(),
    detail: z.string(),
  })
  .openapi('LedgerMismatch');

export const VerifySchema = z
  .object({
    ok: z.boolean(),
    accountsChecked: z.number().int(),
    entriesChecked: z.number().int(),
    transactionsChecked: z.number().int(),
    firstMismatch: MismatchSchema.optional(),
    digest: z.string().openapi({ description: 'Digest of every account chain head, as of `digestAsOf`' }),
    digestAsOf: z.string().datetime(),
  })
  .openapi('LedgerVerification');

export const DigestQuery = z.object({
  asOf: timestampSchema.optional().openapi({ param: { name: 'asOf', in: 'query' }, description: 'Defaults to one minute ago' }),
});

export const DigestSchema = z
  .object({ digest: z.string(), asOf: z.string().datetime(), accounts: z.number().int(), entries: z.number().int() })
  .openapi('LedgerDigest');
