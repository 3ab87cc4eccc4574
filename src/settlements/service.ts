import type { Actor } from '../auth/actor.js';
import { newId, uuidPattern } from '../db/ids.js';
import type { ServiceDeps } from '../deps.js';
import { DomainError, forbidden, notFound, validationFailed } from '../errors.js';
import { instantInRange } from '../http/timestamps.js';
import { decodeCursor, encodeCursor } from '../http/paging.js';
import { merchantAccountId, payoutAccountId } from '../ledger/accounts.js';
import { applyLedger } from '../ledger/apply.js';
import { findMerchant } from '../merchants/repository.js';
import { listRedeemedForMerchant } from '../redemptions/repository.js';
import { maskName } from '../redemptions/service.js';
import { idempotent, type IdempotencyScope } from '../writes/idempotency.js';
import { withRetry } from '../writes/retry.js';
import { accountBalances, findSettlementByReference, insertSettlement, listSettlements, redeemedTotals } from './repository.js';
import type { RecordSettlementInput } from './schemas.js';

/** The merchant itself and admins see a merchant's redemptions and settlement; other merchants get 404. */
async function assertSeesMerchant(deps: ServiceDeps, actor: Actor, merchantId: string) {
  if (actor.role === 'merchant' && actor.id !== merchantId) throw notFound('merchant');
  if (actor.role !== 'merchant' && actor.role !== 'admin') throw forbidden('only the merchant itself and admins read its redemptions and settlement');
  if (!(await findMerchant(deps.db, merchantId))) throw notFound('merchant');
}

const period = (q: { from?: string | undefined; to?: string | undefined }) => ({ from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });

/** A merchant's redeemed claims in a period (by redemption time), newest first, keyset paged. */
export async function listMerchantRedemptions(
  deps: ServiceDeps,
  actor: Actor,
  merchantId: string,
  query: { from?: string | undefined; to?: string | undefined; limit: number; cursor?: string | undefined },
) {
  await assertSeesMerchant(deps, actor, merchantId);
  let before: { micros: number; id: string } | undefined;
  if (query.cursor) {
    const [micros, id] = decodeCursor(query.cursor, 2);
    if (typeof micros !== 'number' || !Number.isSafeInteger(micros) || !instantInRange(micros / 1000) || typeof id !== 'string' || !uuidPattern.test(id)) {
      throw validationFailed([{ path: 'cursor', message: 'not a cursor this endpoint issued' }]);
    }
    before = { micros, id };
  }
  const rows = await listRedeemedForMerchant(deps.db, merchantId, { ...period(query), before, limit: query.limit });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      packId: r.pack_id,
      packTitle: r.pack_title,
      volunteerId: r.volunteer_id,
      volunteerName: maskName(r.volunteer_name),
      points: r.points,
      status: 'redeemed' as const,
      redeemedAt: (r.resolved_at as Date).toISOString(),
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor([Number(last.resolved_micros), last.id]) : null,
  };
}

/** Most settlements listed in one summary; the counts and sums cover the whole period regardless. */
const summaryItemsMax = 1000;

/**
 * A merchant's settlement position: what it redeemed in the period, which settlements were recorded
 * in it, and what it is owed now (its ledger account's balance, the one figure that is not per period).
 */
export async function settlementSummary(deps: ServiceDeps, actor: Actor, merchantId: string, query: { from?: string | undefined; to?: string | undefined }) {
  await assertSeesMerchant(deps, actor, merchantId);
  const { from, to } = period(query);
  const [redeemedRow, settlementRows, accounts] = await Promise.all([
    redeemedTotals(deps.db, merchantId, { from, to }),
    listSettlements(deps.db, merchantId, { from, to }),
    accountBalances(deps.db, [merchantAccountId(merchantId), payoutAccountId(merchantId)]),
  ]);
  const balance = (id: string) => accounts.find((a) => a.id === id)?.balance ?? 0;
  return {
    merchantId,
    from: from?.toISOString() ?? null,
    to: to?.toISOString() ?? null,
    redeemed: { count: Number(redeemedRow.count), points: Number(redeemedRow.points) },
    settlements: {
      count: settlementRows.length,
      points: settlementRows.reduce((sum, s) => sum + s.points, 0),
      items: settlementRows.slice(0, summaryItemsMax).map((s) => ({
        id: s.id,
        merchantId: s.merchant_id,
        points: s.points,
        reference: s.reference,
        transactionId: s.transaction_id,
        createdAt: s.created_at.toISOString(),
      })),
    },
    owed: balance(merchantAccountId(merchantId)),
    settledTotal: balance(payoutAccountId(merchantId)),
  };
}

/**
 * An admin records that the programme paid a merchant: a `payout` ledger transaction moves the
 * points from the merchant's account (owed) to its payout account (settled), so the merchant's
 * balance shows what is still owed. Refused with insufficient_points when it is more than is owed;
 * a reference is used once per merchant (conflict). Idempotent per caller and key.
 */
export async function recordSettlement(deps: ServiceDeps, actor: Actor, merchantId: string, input: RecordSettlementInput, idempotency: IdempotencyScope | undefined) {
  if (actor.role !== 'admin') throw forbidden('only admins record settlements');
  if (!(await findMerchant(deps.db, merchantId))) throw notFound('merchant');
  const stored = await withRetry(() =>
    deps.db.transaction().execute((tx) =>
      idempotent(tx, idempotency, async () => {
        const taken = await findSettlementByReference(tx, merchantId, input.reference);
        if (taken) throw new DomainError('conflict', 'a settlement with this reference is already recorded for this merchant', { settlementId: taken.id });
        const id = newId();
        const payout = await applyLedger(tx, {
          transaction: { id: newId(), kind: 'payout', reference: input.reference, memo: `settlement ${id}`, actorRole: actor.role, actorId: actor.id },
          postings: [
            { account: merchantAccountId(merchantId), amount: -input.points },
            { account: payoutAccountId(merchantId), amount: input.points },
          ],
        });
        const row = await insertSettlement(tx, { id, merchant_id: merchantId, points: input.points, reference: input.reference, transaction_id: payout.result.transactionId, actor_role: actor.role, actor_id: actor.id });
        const owed = payout.result.postings.find((p) => p.accountId === merchantAccountId(merchantId))?.balanceAfter ?? 0;
        const body = { id, merchantId, points: row.points, reference: row.reference, transactionId: row.transaction_id, owed, createdAt: row.created_at.toISOString() };
        return { status: 201, body };
      }),
    ),
  );
  return { body: stored.body, replayed: stored.replayed };
}
