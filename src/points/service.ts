import { sql } from 'kysely';
import { inScope, type Actor } from '../auth/actor.js';
import { batchLoader, uuidArray } from '../db/batch.js';
import { newId, uuidPattern } from '../db/ids.js';
import { statement } from '../db/database.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { encodeCursor, decodeCursor } from '../http/paging.js';
import { starLevel } from '../volunteers/stars.js';
import type { LedgerOutcome, PostingInput } from '../ledger/apply.js';
import { withRetry } from '../writes/retry.js';
import { anyIssuanceAccount, volunteerAccountId } from '../ledger/accounts.js';
import type { IdempotencyScope, Replayable } from '../writes/idempotency.js';

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
  const owner = await sql<{ record_id: string }>`select record_id from service_record_versions where transaction_id = ${transactionId} limit 1`.execute(deps.db);
  const recordId = owner.rows[0]?.record_id;
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

interface VolunteerLedgerRow {
  id: string;
  path: string;
  balance: number;
  earned: number;
  held: number;
  service_minutes: number;
}

// Every balance read and statement page runs it, so it is written once as SQL (see statement()),
// for a batch of volunteers ($1, a uuid[] literal) at a time.
const selectVolunteerLedgers = statement<VolunteerLedgerRow>(`
  select v.id, u.path, a.balance, a.earned, h.balance as held, v.service_minutes
    from volunteers v
    join org_units u on u.id = v.org_unit_id
    join accounts a on a.id = v.id
    join accounts h on h.id = ledger_account_id('held:' || v.id)
   where v.id = any($1::text::uuid[])`);

/** One loader per database: reads of volunteers' balances asked for in the same moment share a query. */
const volunteerLedgerLoaders = new WeakMap<object, (id: string) => Promise<VolunteerLedgerRow | undefined>>();

async function volunteerLedger(db: ServiceDeps['db'], volunteerId: string): Promise<VolunteerLedgerRow | undefined> {
  // A malformed id would fail the whole batch's query, so it is simply not found.
  if (!uuidPattern.test(volunteerId)) return undefined;
  let load = volunteerLedgerLoaders.get(db);
  if (!load) {
    load = batchLoader<VolunteerLedgerRow>(async (ids) => new Map((await selectVolunteerLedgers(db, uuidArray(ids))).map((row) => [row.id, row])));
    volunteerLedgerLoaders.set(db, load);
  }
  return load(volunteerId.toLowerCase());
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
  let q = deps.db
    .selectFrom('ledger_postings as p')
    .innerJoin('ledger_transactions as t', 't.id', 'p.transaction_id')
    .select(['p.seq', 'p.transaction_id', 't.kind', 'p.amount', 'p.balance_after', 't.memo', 't.reference', 't.reverses_id', 't.created_at'])
    .where('p.account_id', '=', volunteerAccountId(volunteerId))
    .orderBy('p.seq', 'desc')
    .limit(query.limit + 1);
  if (before !== undefined) q = q.where('p.seq', '<', before);
  const rows = await q.execute();
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
  const tx = await deps.db
    .selectFrom('ledger_transactions as t')
    .leftJoin('ledger_transactions as r', 'r.reverses_id', 't.id')
    .selectAll('t')
    .select('r.id as reversed_by')
    .where('t.id', '=', id)
    .executeTakeFirst();
  if (!tx) throw notFound('transaction');
  const postings = await deps.db
    .selectFrom('ledger_postings as p')
    .innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.account_id', 'a.kind', 'a.owner_id', 'p.amount', 'p.balance_after'])
    .where('p.transaction_id', '=', id)
    .orderBy('p.id')
    .execute();
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
  const rows = await deps.db
    .selectFrom('accounts')
    .select(['kind', sql<number>`coalesce(sum(balance), 0)::bigint`.as('total'), sql<number>`count(*)::bigint`.as('count')])
    .groupBy('kind')
    .execute();
  const by = (kind: string) => rows.find((r) => r.kind === kind);
  const total = (kind: string) => by(kind)?.total ?? 0;
  const transactions = await sql<{ n: number }>`select count(*)::bigint as n from ledger_transactions`.execute(deps.db);
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
    transactions: transactions.rows[0]?.n ?? 0,
  };
}
