import { inScope, type Actor } from '../auth/actor.js';
import { newId } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { decodeCursor, encodeCursor } from '../http/paging.js';
import { anyIssuanceAccount, volunteerAccountId } from '../ledger/accounts.js';
import type { LedgerOutcome, PostingInput } from '../ledger/apply.js';
import { starLevel } from '../volunteers/stars.js';
import type { IdempotencyScope, Replayable } from '../writes/idempotency.js';
import { withRetry } from '../writes/retry.js';
import { balancesByKind, countTransactions, findTransaction, recordCreditedBy, statementPage, transactionPostings, volunteerLedger, type VolunteerLedgerRow } from './repository.js';

export interface PointsMoved {
  transactionId: string;
  volunteerId: string;
  points: number;
  balance: number;
  createdAt: string;
}

function actorFields(actor: Actor) {
  return { actorRole: actor.role, actorId: actor.id };
}

/** The response body of a points movement, derived only from the stored ledger result so a replay is byte-identical. */
function pointsMoved(outcome: LedgerOutcome, volunteerId: string): Replayable<PointsMoved> {
  const posting = outcome.result.postings.find((p) => p.accountId === volunteerAccountId(volunteerId));
  if (!posting) throw new Error('ledger result lacks the volunteer posting');
  return {
    replayed: outcome.replayed,
    body: {
      transactionId: outcome.result.transactionId,
      volunteerId,
      points: posting.amount,
      balance: posting.balanceAfter,
      createdAt: new Date(outcome.result.createdAt).toISOString(),
    },
  };
}

/**
 * Awards points to a volunteer from the programme's issuance account.
 * Invariants: admins award anyone, organisers only volunteers in their subtree (others are 404);
 * the volunteer must be active; the award is idempotent per caller and key; the ledger picks the
 * issuance shard (one per write group) so concurrent awards never contend on one row. One round trip,
 * shared with whatever other writes arrive at the same moment (group commit).
 */
export async function awardPoints(
  deps: ServiceDeps,
  actor: Actor,
  input: { volunteerId: string; points: number; reason: string },
  idempotency: IdempotencyScope | undefined,
): Promise<Replayable<PointsMoved>> {
  if (actor.role !== 'admin' && actor.role !== 'organiser') throw forbidden('only admins and organisers award points');
  const outcome = await withRetry(() =>
    deps.writes.ledger({
      idempotency,
      guard: { volunteerId: input.volunteerId, scopePath: actor.role === 'organiser' ? actor.orgPath : undefined, requireActive: true },
      transaction: { id: newId(), kind: 'award', memo: input.reason, ...actorFields(actor) },
      postings: [
        { account: anyIssuanceAccount, amount: -input.points },
        { account: volunteerAccountId(input.volunteerId), amount: input.points },
      ],
    }),
  );
  return pointsMoved(outcome, input.volunteerId);
}

/**
 * An admin's manual credit (positive) or debit (negative), against the issuance account.
 * A debit is refused with insufficient_points rather than take the volunteer below zero.
 */
export async function adjustPoints(
  deps: ServiceDeps,
  actor: Actor,
  input: { volunteerId: string; points: number; reason: string },
  idempotency: IdempotencyScope | undefined,
): Promise<Replayable<PointsMoved>> {
  if (actor.role !== 'admin') throw forbidden('only admins make adjustments');
  const postings: PostingInput[] = [
    { account: anyIssuanceAccount, amount: -input.points },
    { account: volunteerAccountId(input.volunteerId), amount: input.points },
  ];
  const outcome = await withRetry(() =>
    deps.writes.ledger({
      idempotency,
      guard: { volunteerId: input.volunteerId, requireActive: false },
      transaction: { id: newId(), kind: 'adjustment', memo: input.reason, ...actorFields(actor) },
      postings,
    }),
  );
  return pointsMoved(outcome, input.volunteerId);
}

/**
 * Reverses an award, correction or adjustment with a new transaction that negates each posting.
 * Invariants: at most once (the database's unique index decides races); refused with
 * insufficient_points if the volunteer has already spent the points.
 */
export async function reverseTransaction(
  deps: ServiceDeps,
  actor: Actor,
  transactionId: string,
  input: { reason: string },
  idempotency: IdempotencyScope | undefined,
): Promise<Replayable<{ transactionId: string; reversesTransactionId: string; createdAt: string }>> {
  if (actor.role !== 'admin') throw forbidden('only admins reverse transactions');
  // Points credited for a service record are corrected through the record, so hours, stars and
  // points stay in step; reversing the award alone would leave the record approved.
  const recordId = await recordCreditedBy(deps.db, transactionId);
  if (recordId) {
    throw new DomainError('conflict', `this transaction credits service record ${recordId}; correct the record (POST /v1/records/${recordId}/corrections) instead`, { recordId });
  }
  const outcome = await withRetry(() =>
    deps.writes.ledger({
      idempotency,
      transaction: { id: newId(), kind: 'reversal', memo: input.reason, reverses: transactionId, ...actorFields(actor) },
    }),
  );
  return {
    replayed: outcome.replayed,
    body: {
      transactionId: outcome.result.transactionId,
      reversesTransactionId: outcome.result.reversesTransactionId ?? transactionId,
      createdAt: new Date(outcome.result.createdAt).toISOString(),
    },
  };
}

/**
 * Loads a volunteer with its balances in one query and applies the visibility rule: the volunteer
 * itself, organisers in scope and admins; anyone else sees 404 (merchants 403).
 */
async function loadVolunteerLedger(deps: ServiceDeps, actor: Actor, volunteerId: string): Promise<VolunteerLedgerRow> {
  if (actor.role === 'merchant') throw forbidden('merchants cannot read volunteer records');
  if (actor.role === 'volunteer' && actor.id !== volunteerId) throw notFound('volunteer');
  const row = await volunteerLedger(deps.db, volunteerId);
  if (!row || (actor.role === 'organiser' && !inScope(actor, row.path))) throw notFound('volunteer');
  return row;
}

export async function getBalance(deps: ServiceDeps, actor: Actor, volunteerId: string) {
  const row = await loadVolunteerLedger(deps, actor, volunteerId);
  return {
    volunteerId: row.id,
    balance: row.balance,
    held: row.held,
    lifetimeEarned: row.earned,
    serviceMinutes: row.service_minutes,
    starLevel: starLevel(row.service_minutes, deps.config.STAR_THRESHOLDS_HOURS),
  };
}

/**
 * A volunteer's statement, newest first, paged by the account's own posting sequence, so a page
 * costs the same on an account with a hundred entries or a million.
 */
export async function getStatement(deps: ServiceDeps, actor: Actor, volunteerId: string, query: { limit: number; cursor?: string | undefined }) {
  await loadVolunteerLedger(deps, actor, volunteerId);
  let before: number | undefined;
  if (query.cursor) {
    const [seq] = decodeCursor(query.cursor, 1);
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) throw validationFailed([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
    before = seq;
  }
  const rows = await statementPage(deps.db, volunteerAccountId(volunteerId), { before, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      transactionId: r.transaction_id,
      kind: r.kind,
      amount: r.amount,
      balanceAfter: r.balance_after,
      memo: r.memo,
      reference: r.reference,
      reversesTransactionId: r.reverses_id,
      createdAt: r.created_at.toISOString(),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.seq]) : null,
  };
}

/** One transaction with its postings (admin). */
export async function getTransaction(deps: ServiceDeps, actor: Actor, id: string) {
  if (actor.role !== 'admin') throw forbidden('only admins read raw transactions');
  const tx = await findTransaction(deps.db, id);
  if (!tx) throw notFound('transaction');
  const postings = await transactionPostings(deps.db, id);
  return {
    id: tx.id,
    kind: tx.kind,
    memo: tx.memo,
    reference: tx.reference,
    actorRole: tx.actor_role,
    actorId: tx.actor_id,
    reversesTransactionId: tx.reverses_id,
    reversedByTransactionId: tx.reversed_by,
    createdAt: tx.created_at.toISOString(),
    postings: postings.map((p) => ({ accountId: p.account_id, accountKind: p.kind, ownerId: p.owner_id, amount: p.amount, balanceAfter: p.balance_after })),
  };
}

/** The programme's position, from the cached balances: what it issued, what it owes, to whom. */
export async function getTotals(deps: ServiceDeps, actor: Actor) {
  if (actor.role !== 'admin') throw forbidden('only admins read programme totals');
  const rows = await balancesByKind(deps.db);
  const by = (kind: string) => rows.find((r) => r.kind === kind);
  const total = (kind: string) => by(kind)?.total ?? 0;
  const transactions = await countTransactions(deps.db);
  return {
    issued: -total('issuance'),
    spendable: total('volunteer'),
    held: total('held'),
    outstanding: total('volunteer') + total('held'),
    redeemed: total('merchant') + total('payout'),
    owedToMerchants: total('merchant'),
    settled: total('payout'),
    sumOfBalances: rows.reduce((sum, r) => sum + r.total, 0),
    volunteers: by('volunteer')?.count ?? 0,
    transactions,
  };
}
