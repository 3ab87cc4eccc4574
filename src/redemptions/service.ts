import type { Actor } from '../auth/actor.js';
import { newId } from '../db/ids.js';
import type { Tx } from '../db/database.js';
import type { ServiceDeps } from '../deps.js';
import type { Metrics } from '../http/metrics.js';
import { DomainError, forbidden, notFound } from '../errors.js';
import { decodeIdCursor, pageFrom } from '../http/paging.js';
import { heldAccountId, volunteerAccountId } from '../ledger/accounts.js';
import { applyLedger } from '../ledger/apply.js';
import type { IdempotencyScope, Replayable } from '../writes/idempotency.js';
import { withRetry } from '../writes/retry.js';
import {
  claimInDatabase,
  findPackTerms,
  findRedemption,
  findTokenByShortCode,
  redeemInDatabase,
  listForVolunteer,
  lockNextExpired,
  lockRedemption,
  releaseRedemption,
  type RedemptionRow,
  type RedemptionView,
  volunteerExists,
} from './repository.js';
import type { Claim, Redeemed, Redemption } from './schemas.js';
import { failedAttemptCodes, FailureThrottle } from './throttle.js';
import { mintRedemptionToken, normaliseShortCode, shortCodeOf, verifyRedemptionToken } from './token.js';

const systemActor = { actorRole: 'system', actorId: 'expiry-sweeper' } as const;

/** Most packs whose price and merchant are remembered; beyond it the oldest are forgotten. */
const packTermsCacheMax = 10_000;

/**
 * A pack's price and merchant, which never change once the pack exists (the database refuses it),
 * so they are remembered after the first read and a claim needs no round trip of its own to sign
 * its token. Pack ids are never reused, so entries can never go stale.
 */
const packTerms = new Map<string, { merchantId: string; points: number }>();

async function termsOf(deps: ServiceDeps, packId: string) {
  const known = packTerms.get(packId);
  if (known) return known;
  const row = await findPackTerms(deps.db, packId);
  if (!row) throw notFound('pack');
  if (packTerms.size >= packTermsCacheMax) {
    const oldest = packTerms.keys().next();
    if (!oldest.done) packTerms.delete(oldest.value);
  }
  const terms = { merchantId: row.merchant_id, points: row.points };
  packTerms.set(packId, terms);
  return terms;
}

/**
 * A volunteer claims a pack. In one transaction: the points move from the volunteer's account to its
 * held account (a `reserve` ledger transaction, refused with insufficient_points), one unit of stock
 * is taken under the pack row's lock (out_of_stock, pack_unavailable), the per-volunteer limit is
 * counted under that same lock (limit_reached), and the claim is recorded with a signed redemption
 * token. Lock order everywhere in this module: redemption row, then ledger accounts (ledger_apply
 * locks them in id order), then the pack row last, and the claim and the redeem each run as a
 * single statement, so the hot pack row and merchant account are never held across a network round
 * trip. The token's times come from this instance's clock; the database's clock then judges expiry
 * for redeem, the sweeper and reads alike. Idempotent when a key is given.
 */
export async function claimPack(deps: ServiceDeps, actor: Actor, input: { packId: string }, idempotency: IdempotencyScope | undefined): Promise<Replayable<Claim>> {
  if (actor.role !== 'volunteer') throw forbidden('only volunteers claim packs, for themselves');
  // The token is signed before the claim itself, which is then one statement checking everything
  // else (redemption_claim in sql/0010_packs_and_redemptions.sql): merchant active, star level, stock, window, limit.
  const pack = await termsOf(deps, input.packId);
  const id = newId();
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + deps.config.REDEMPTION_TOKEN_TTL_SECONDS;
  const { token, kid } = await mintRedemptionToken(deps.documentKeys, { redemptionId: id, merchantId: pack.merchantId, points: pack.points, issuedAt: iat, expiresAt: exp });
  const expiresAt = new Date(exp * 1000).toISOString();
  const body: Claim = { id, packId: input.packId, merchantId: pack.merchantId, points: pack.points, token, shortCode: shortCodeOf(token), expiresAt, status: 'issued' };
  const outcome = await withRetry(() =>
    claimInDatabase(deps.writes, {
      idempotency: idempotency ?? null,
      redemption: { id, packId: input.packId, merchantId: pack.merchantId, volunteerId: actor.id, points: pack.points, issuedAt: new Date(iat * 1000).toISOString(), expiresAt, token, kid },
      starMinutes: deps.config.STAR_THRESHOLDS_HOURS.map((hours) => hours * 60),
      reserveTransactionId: newId(),
      actorRole: actor.role,
      actorId: actor.id,
      // The body goes to the database only to be stored under an Idempotency-Key; without one, the
      // answer is the body made here, and it need not travel there and back.
      body: idempotency ? body : null,
    }),
  );
  return { body: outcome.replayed ? (outcome.body as Claim) : body, replayed: outcome.replayed };
}

/**
 * A name as a shop sees it at the counter: enough to tell "is this you?", not enough to identify.
 * Chinese names keep the first and last character (王*英, 李*); names in words keep each word's
 * first letter (A**** S****).
 */
export function maskName(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length > 1) return words.map((w) => Array.from(w)[0] + '*'.repeat(Math.max(1, Array.from(w).length - 1))).join(' ');
  const chars = Array.from(words[0] ?? '');
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** The redeem answer: the claim, with the pack's title and the volunteer's masked name for the counter to show. */
async function toRedeemed(deps: ServiceDeps, id: string): Promise<Redeemed> {
  const row = await findRedemption(deps.db, id);
  if (!row || row.status !== 'redeemed') throw new Error(`redemption ${id} is not redeemed after redeeming it`);
  return {
    id: row.id,
    packId: row.pack_id,
    packTitle: row.pack_title,
    volunteerId: row.volunteer_id,
    volunteerName: maskName(row.volunteer_name),
    points: row.points,
    status: 'redeemed',
    redeemedAt: (row.resolved_at as Date).toISOString(),
  };
}

/**
 * A merchant redeems the code a volunteer shows. The token is verified first (pinned algorithm, a
 * live redemption key, our typ, expiry with a small tolerance) and must name this merchant; nothing
 * is written for a token that fails. Then, under the redemption row's lock: a claim already redeemed
 * answers with the same 200 as the first time (a safe retry), a cancelled or expired claim is
 * refused, and an issued one is settled exactly once: a `settle` ledger transaction moves the held
 * points to the merchant's account, the claim becomes redeemed, and nothing else changes (stock was taken at claim). The
 * database's clock decides expiry; the ledger's unique index refuses a second settle regardless.
 */
export async function redeemToken(deps: ServiceDeps, actor: Actor, input: { token: string }): Promise<Redeemed> {
  if (actor.role !== 'merchant') throw forbidden('only merchants redeem codes');
  const throttle = throttleFor(deps.config);
  throttle.check(actor.id);
  try {
    return await redeemChecked(deps, actor, input);
  } catch (error) {
    if (error instanceof DomainError && failedAttemptCodes.has(error.code)) throttle.fail(actor.id);
    throw error;
  }
}

const throttles = new WeakMap<object, FailureThrottle>();
/** One throttle per configuration (per app), so test apps with different limits do not share counts. */
function throttleFor(config: ServiceDeps['config']): FailureThrottle {
  let throttle = throttles.get(config);
  if (!throttle) {
    throttle = new FailureThrottle(config.REDEEM_FAILURES_MAX, config.REDEEM_FAILURE_WINDOW_SECONDS * 1000);
    throttles.set(config, throttle);
  }
  return throttle;
}

/**
 * The token a shop submitted: the token itself (scanned from the QR code), or the claim's token
 * when what was typed is a short code. An unknown short code is token_invalid like any bad code.
 */
async function tokenOf(deps: ServiceDeps, merchantId: string, submitted: string): Promise<string> {
  const shortCode = normaliseShortCode(submitted.trim());
  if (!shortCode) return submitted.trim();
  const token = await findTokenByShortCode(deps.db, shortCode, merchantId);
  if (!token) throw new DomainError('token_invalid', 'no claim has this code');
  return token;
}

async function redeemChecked(deps: ServiceDeps, actor: Actor, input: { token: string }): Promise<Redeemed> {
  const token = await tokenOf(deps, actor.id, input.token);
  let claims;
  try {
    claims = await verifyRedemptionToken(deps.documentKeys, token, deps.config.CLOCK_TOLERANCE_SECONDS);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'token_expired') {
      // A code this shop already redeemed, shown again after its expiry (the volunteer came back,
      // the counter retried late): the same success as the first time, never an error.
      const late = await verifyRedemptionToken(deps.documentKeys, token, deps.config.CLOCK_TOLERANCE_SECONDS, { acceptExpired: true });
      const row = late.merchantId === actor.id ? await findRedemption(deps.db, late.redemptionId) : undefined;
      if (row?.status === 'redeemed' && row.merchant_id === actor.id) return toRedeemed(deps, row.id);
    }
    throw error;
  }
  if (claims.merchantId !== actor.id) throw new DomainError('token_wrong_merchant', 'this code is for another shop');
  // One statement (redemption_redeem in sql/0010_packs_and_redemptions.sql), so the shop's account is locked only inside the database.
  try {
    const row = await withRetry(() =>
      redeemInDatabase(deps.writes, { id: claims.redemptionId, merchantId: claims.merchantId, points: claims.points, transactionId: newId(), actorRole: actor.role, actorId: actor.id }),
    );
    return await toRedeemed(deps, row.id);
  } catch (error) {
    // redemption_redeem (a frozen migration) names the claim's state `status` in its detail; in a
    // problem document that member is the HTTP status, so the state travels as `redemptionStatus`.
    if (error instanceof DomainError && typeof error.extensions.status === 'string') {
      const { status, ...rest } = error.extensions;
      throw new DomainError(error.code, error.message, { ...rest, redemptionStatus: status }, error.retryAfterSeconds);
    }
    throw error;
  }
}

/** Gives a claim's points back (held to spendable) and its unit of stock, recording why. Runs under the redemption's lock. */
async function release(tx: Tx, row: RedemptionRow, status: 'cancelled' | 'expired', who: { actorRole: string; actorId: string }) {
  const released = await applyLedger(tx, {
    transaction: { id: newId(), kind: 'release', reference: row.id, memo: status === 'cancelled' ? 'claim cancelled' : 'claim expired', ...who },
    postings: [
      { account: heldAccountId(row.volunteer_id), amount: -row.points },
      { account: volunteerAccountId(row.volunteer_id), amount: row.points },
    ],
  });
  await releaseRedemption(tx, row.id, { status, ...who, transactionId: released.result.transactionId });
}

/**
 * The volunteer who owns a claim (or an admin) cancels it before it is redeemed: a `release` ledger
 * transaction returns the points and the unit of stock comes back. Cancelling twice is harmless. A
 * claim already redeemed is refused (token_already_used). A claim past its expiry is released as
 * expired, as the sweeper would have done, and the caller hears token_expired.
 */
export async function cancelRedemption(deps: ServiceDeps, actor: Actor, id: string): Promise<{ id: string; status: 'cancelled' }> {
  if (actor.role !== 'volunteer' && actor.role !== 'admin') throw forbidden('only the volunteer who claimed it, or an admin, cancels a claim');
  const outcome = await withRetry(() =>
    deps.db.transaction().execute(async (tx) => {
      const row = await lockRedemption(tx, id);
      if (!row || (actor.role === 'volunteer' && row.volunteer_id !== actor.id)) throw notFound('redemption');
      if (row.status === 'cancelled') return 'cancelled' as const;
      if (row.status === 'redeemed') throw new DomainError('token_already_used', 'the claim was already redeemed', { redemptionStatus: row.status });
      if (row.status === 'expired') return 'expired' as const;
      const who = { actorRole: actor.role, actorId: actor.id };
      if (row.expired) {
        await release(tx, row, 'expired', who);
        return 'expired' as const;
      }
      await release(tx, row, 'cancelled', who);
      return 'cancelled' as const;
    }),
  );
  if (outcome === 'expired') throw new DomainError('token_expired', 'the claim had already expired; its points and stock are back', { redemptionStatus: 'expired' });
  return { id, status: 'cancelled' };
}

/** Most claims one sweep releases, so a backlog is worked off in bounded slices. */
export const sweepBatchMax = 500;

/**
 * Releases claims past their expiry, each in its own short transaction that locks the oldest expired
 * claim nobody else holds (FOR UPDATE SKIP LOCKED): several instances sweep side by side without
 * waiting on or double-releasing each other, and a claim being redeemed or cancelled right now is
 * skipped (whoever holds its lock decides its fate; a later sweep takes it if it is still issued).
 * One claim per transaction means the sweeper never holds one claim's account locks while waiting
 * for another's. Returns how many claims it released.
 */
export async function sweepExpired(deps: Pick<ServiceDeps, 'db'>, batchMax = sweepBatchMax): Promise<number> {
  let released = 0;
  while (released < batchMax) {
    const done = await withRetry(() =>
      deps.db.transaction().execute(async (tx) => {
        const row = await lockNextExpired(tx);
        if (!row) return false;
        await release(tx, row, 'expired', systemActor);
        return true;
      }),
    );
    if (!done) break;
    released += 1;
  }
  return released;
}

/** Starts the background sweeper; returns a function that stops it. Safe to run on every instance. */
export function startExpirySweeper(deps: Pick<ServiceDeps, 'db' | 'logger' | 'config'> & { metrics: Metrics }): () => void {
  if (deps.config.SWEEPER_INTERVAL_MS === 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepExpired(deps)
      .then((released) => {
        deps.metrics.sweeperRuns.inc({ sweeper: 'claims', outcome: 'ok' });
        if (released > 0) deps.logger.info({ released }, 'released expired claims');
      })
      .catch((error: unknown) => {
        deps.metrics.sweeperRuns.inc({ sweeper: 'claims', outcome: 'failed' });
        deps.logger.warn({ err: error }, 'expiry sweep failed; will retry');
      })
      .finally(() => {
        running = false;
      });
  }, deps.config.SWEEPER_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function toRedemption(row: RedemptionView, actor: Actor): Redemption {
  const owner = actor.role === 'volunteer' && actor.id === row.volunteer_id;
  return {
    id: row.id,
    packId: row.pack_id,
    merchantId: row.merchant_id,
    volunteerId: row.volunteer_id,
    packTitle: row.pack_title,
    merchantName: row.merchant_name,
    volunteerName: maskName(row.volunteer_name),
    points: row.points,
    status: row.effective_status,
    issuedAt: row.issued_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    // Only the volunteer holding a live claim sees its code again (to show it at the shop).
    ...(owner && row.effective_status === 'issued' ? { token: row.token, shortCode: row.short_code } : {}),
  };
}

/** Loads a redemption visible to the actor: the volunteer who owns it, the merchant it is for, or an admin; 404 for anyone else. */
async function visibleRedemption(deps: ServiceDeps, actor: Actor, id: string): Promise<RedemptionView> {
  const row = await findRedemption(deps.db, id);
  const visible =
    row && (actor.role === 'admin' || (actor.role === 'volunteer' && row.volunteer_id === actor.id) || (actor.role === 'merchant' && row.merchant_id === actor.id));
  if (!row || !visible) throw notFound('redemption');
  return row;
}

/** One claim, with an issued claim past its expiry shown as expired even before the sweeper runs. */
export async function getRedemption(deps: ServiceDeps, actor: Actor, id: string): Promise<Redemption> {
  return toRedemption(await visibleRedemption(deps, actor, id), actor);
}

/** The token of a live claim, for its QR code: only the volunteer who owns it. */
export async function redemptionTokenFor(deps: ServiceDeps, actor: Actor, id: string): Promise<string> {
  if (actor.role !== 'volunteer') throw notFound('redemption');
  const row = await visibleRedemption(deps, actor, id);
  if (row.effective_status === 'expired') throw new DomainError('token_expired', 'the claim has expired');
  if (row.effective_status !== 'issued') throw new DomainError('token_already_used', `the claim is ${row.effective_status}`, { redemptionStatus: row.effective_status });
  return row.token;
}

/** A volunteer's claims, newest first (the volunteer itself, admins). */
export async function listVolunteerRedemptions(deps: ServiceDeps, actor: Actor, volunteerId: string, query: { limit: number; cursor?: string | undefined }) {
  if (actor.role === 'volunteer' && actor.id !== volunteerId) throw notFound('volunteer');
  if (actor.role !== 'volunteer' && actor.role !== 'admin') throw forbidden('only the volunteer and admins list its claims');
  if (actor.role === 'admin') {
    if (!(await volunteerExists(deps.db, volunteerId))) throw notFound('volunteer');
  }
  const rows = await listForVolunteer(deps.db, volunteerId, { beforeId: decodeIdCursor(query.cursor), limit: query.limit });
  const page = pageFrom(rows, query.limit, (r) => [r.id]);
  return { items: page.items.map((r) => toRedemption(r, actor)), nextCursor: page.nextCursor };
}

export { toRedemption };
