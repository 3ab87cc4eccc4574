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

export interface Mismatch {
  problem: string;
  postingId: number | null;
  accountId: string | null;
  transactionId: string | null;
  detail: string;
}


/**
 * Recomputes the whole ledger from its rows: every posting's hash and link to the one before it in
 * its account's chain, the sequence, the running balance, each account's cached balance, earned
 * total and chain head, that every transaction balances, and that all balances sum to zero.
 * Names the first row (lowest posting id) that does not match.
 */
export async function verifyLedger(deps: ServiceDeps, actor: Actor) {
  if (actor.role !== 'admin') throw forbidden('only admins verify the ledger');
  return verifyLedgerRows(deps);
}

/** The verification itself, without the role check, for scripts. */
export async function verifyLedgerRows(deps: Pick<ServiceDeps, 'db'>) {
  const db = deps.db;
  const postings = await sql<Mismatch & { checked: number }>`
    with chain as (
      select p.id, p.account_id, p.transaction_id, p.seq, p.amount, p.balance_after, p.prev_hash, p.hash,
             ledger_tx_digest(t.id, t.kind, t.memo, t.reference, t.actor_role, t.actor_id, t.reverses_id, t.created_at) as digest,
             lag(p.hash) over w as previous_hash,
             lag(p.seq) over w as previous_seq,
             sum(p.amount) over (w rows between unbounded preceding and current row) as running
        from ledger_postings p
        join ledger_transactions t on t.id = p.transaction_id
      window w as (partition by p.account_id order by p.seq)
    ), judged as (
      select id, account_id, transaction_id,
             case
               when hash <> ledger_posting_hash(prev_hash, account_id, seq, transaction_id, amount, balance_after, digest) then 'hash_mismatch'
               when prev_hash <> coalesce(previous_hash, decode(repeat('00', 32), 'hex')) then 'chain_broken'
               when seq <> coalesce(previous_seq, 0) + 1 then 'sequence_gap'
               when balance_after <> running then 'balance_after_mismatch'
             end as problem
        from chain
    )
    select (select count(*) from ledger_postings)::bigint as checked, id as "postingId", account_id as "accountId", transaction_id as "transactionId", problem,
           'the posting does not match its recomputation' as detail
      from judged where problem is not null
     order by id
     limit 1`.execute(db);
  const accountsCount = await sql<{ n: number }>`select count(*)::bigint as n from accounts`.execute(db);
  const txCount = await sql<{ n: number }>`select count(*)::bigint as n from ledger_transactions`.execute(db);
  const entriesChecked = Number((await sql<{ n: number }>`select count(*)::bigint as n from ledger_postings`.execute(db)).rows[0]?.n ?? 0);
  const accountsChecked = accountsCount.rows[0]?.n ?? 0;
  const transactionsChecked = txCount.rows[0]?.n ?? 0;
  let firstMismatch: Mismatch | undefined = postings.rows[0];

  if (!firstMismatch) {
    const cache = await sql<Mismatch>`
      select null::bigint as "postingId", a.id as "accountId", null::uuid as "transactionId",
             case
               when a.balance <> coalesce(last.balance_after, 0) then 'cached_balance_mismatch'
               when a.entry_count <> coalesce(last.seq, 0) or a.head_hash <> coalesce(last.hash, decode(repeat('00', 32), 'hex')) then 'chain_head_mismatch'
               when a.earned <> coalesce(earned.total, 0) then 'earned_mismatch'
             end as problem,
             'the account''s cached values differ from its postings' as detail
        from accounts a
        left join lateral (select p.seq, p.balance_after, p.hash from ledger_postings p where p.account_id = a.id order by p.seq desc limit 1) last on true
        left join lateral (
          select sum(p.amount) as total
            from ledger_postings p
            join ledger_transactions t on t.id = p.transaction_id
            left join ledger_transactions o on o.id = t.reverses_id
           where p.account_id = a.id and a.kind = 'volunteer'
             and (t.kind in ('award', 'correction') or o.kind in ('award', 'correction'))
        ) earned on true
       where a.balance <> coalesce(last.balance_after, 0)
          or a.entry_count <> coalesce(last.seq, 0)
          or a.head_hash <> coalesce(last.hash, decode(repeat('00', 32), 'hex'))
          or a.earned <> coalesce(earned.total, 0)
       order by a.id
       limit 1`.execute(db);
    firstMismatch = cache.rows[0];
  }
  if (!firstMismatch) {
    const unbalanced = await sql<Mismatch>`
      select null::bigint as "postingId", null::uuid as "accountId", t.id as "transactionId", 'unbalanced_transaction' as problem,
             'the transaction''s postings do not sum to zero, or it has fewer than two' as detail
        from ledger_transactions t
        left join lateral (select count(*) as n, coalesce(sum(amount), 0) as s from ledger_postings p where p.transaction_id = t.id) x on true
       where x.n < 2 or x.s <> 0
       order by t.created_at, t.id
       limit 1`.execute(db);
    firstMismatch = unbalanced.rows[0];
  }
  if (!firstMismatch) {
    const sum = await sql<{ s: number }>`select coalesce(sum(balance), 0)::bigint as s from accounts`.execute(db);
    const s = sum.rows[0]?.s ?? 0;
    if (s !== 0) firstMismatch = { problem: 'balances_do_not_sum_to_zero', postingId: null, accountId: null, transactionId: null, detail: `all balances sum to ${s}` };
  }
  const digest = await ledgerDigestRows(deps, undefined);
  return {
    ok: !firstMismatch,
    accountsChecked,
    entriesChecked,
    transactionsChecked,
    ...(firstMismatch ? { firstMismatch: { ...firstMismatch, postingId: firstMismatch.postingId === null ? null : Number(firstMismatch.postingId) } } : {}),
    digest: digest.digest,
    digestAsOf: digest.asOf,
  };
}

/** How far in the past a default digest is taken, so no transaction still in flight can land before it. */
export const digestLagSeconds = 60;

/**
 * A digest of the ledger as of a moment: sha256 over every account's chain head at that time. An
 * auditor records (asOf, digest); asking again later for the same asOf must give the same digest,
 * or some row at or before that moment was altered.
 */
export async function ledgerDigest(deps: ServiceDeps, actor: Actor, asOf: string | undefined) {
  if (actor.role !== 'admin') throw forbidden('only admins read the ledger digest');
  if (asOf && new Date(asOf).getTime() > Date.now()) throw new DomainError('validation_failed', 'asOf must not be in the future', { errors: [{ path: 'query.asOf', message: 'must not be in the future' }] });
  return ledgerDigestRows(deps, asOf);
}

/** The digest as of a moment (default: a minute ago), for scripts. */
export async function ledgerDigestAsOf(deps: Pick<ServiceDeps, 'db'>, asOf: string | undefined) {
  return ledgerDigestRows(deps, asOf);
}

async function ledgerDigestRows(deps: Pick<ServiceDeps, 'db'>, asOf: string | undefined) {
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
