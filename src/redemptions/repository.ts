import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/database.js';
import { uuidPattern } from '../db/ids.js';
import type { WriteGroups } from '../writes/groups.js';
import type { IdempotencyScope } from '../writes/idempotency.js';
import type { RedemptionStatus, RedemptionsTable } from '../db/types.js';

export type RedemptionRow = Selectable<RedemptionsTable>;

/**
 * A redemption as read now: an issued claim past its expiry already counts as expired. With the
 * pack's title, the shop's name and the volunteer's name, which people read where the API has ids.
 */
export type RedemptionView = RedemptionRow & { effective_status: RedemptionStatus; pack_title: string; merchant_name: string; volunteer_name: string };

const effectiveStatus = sql<RedemptionStatus>`case when redemptions.status = 'issued' and redemptions.expires_at <= now() then 'expired' else redemptions.status end`;

/** Redemptions with their pack's title, their shop's name and their volunteer's name. */
function viewOf(db: Db | Tx) {
  return db
    .selectFrom('redemptions')
    .innerJoin('packs', 'packs.id', 'redemptions.pack_id')
    .innerJoin('merchants', 'merchants.id', 'redemptions.merchant_id')
    .innerJoin('volunteers', 'volunteers.id', 'redemptions.volunteer_id')
    .selectAll('redemptions')
    .select(['packs.title as pack_title', 'merchants.name as merchant_name', 'volunteers.name as volunteer_name'])
    .select(effectiveStatus.as('effective_status'));
}

/** Locks one redemption, and says whether it has expired by the database's clock. */
export async function lockRedemption(tx: Tx, id: string): Promise<(RedemptionRow & { expired: boolean }) | undefined> {
  return tx
    .selectFrom('redemptions')
    .selectAll()
    .select(sql<boolean>`expires_at <= now()`.as('expired'))
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/** The oldest issued claim past its expiry that no one else holds, locked; undefined when none is left. */
export async function lockNextExpired(tx: Tx): Promise<RedemptionRow | undefined> {
  return tx
    .selectFrom('redemptions')
    .selectAll()
    .where('status', '=', 'issued')
    .where('expires_at', '<=', sql<Date>`now()`)
    .orderBy('expires_at')
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
}

/** A pack's merchant and price, which never change once the pack exists. */
export async function findPackTerms(db: Db, packId: string): Promise<{ merchant_id: string; points: number } | undefined> {
  return db.selectFrom('packs').select(['merchant_id', 'points']).where('id', '=', packId).executeTakeFirst();
}

export async function volunteerExists(db: Db, volunteerId: string): Promise<boolean> {
  return (await db.selectFrom('volunteers').select('id').where('id', '=', volunteerId).executeTakeFirst()) !== undefined;
}

/**
 * One redemption with the names the counter and the wallet show. Every redeem answers with it, so it
 * goes through redemption_view (sql/0021), which keeps its key lookups whatever the statistics say.
 */
export async function findRedemption(db: Db | Tx, id: string): Promise<RedemptionView | undefined> {
  if (!uuidPattern.test(id)) return undefined;
  const found = await sql<RedemptionView>`
    select (v.r).*, v.pack_title, v.merchant_name, v.volunteer_name,
           case when (v.r).status = 'issued' and (v.r).expires_at <= now() then 'expired' else (v.r).status end as effective_status
      from redemption_view(${id}::uuid) v`.execute(db);
  return found.rows[0];
}

/**
 * The token of the claim a typed short code names: the shop's own claim first, should two share a
 * code; undefined when none has it.
 */
export async function findTokenByShortCode(db: Db, shortCode: string, merchantId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('redemptions')
    .select('token')
    .where('short_code', '=', shortCode)
    .orderBy(sql`merchant_id = ${merchantId}`, 'desc')
    .orderBy('issued_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.token;
}

/**
 * Resolves an issued claim as cancelled or expired and gives its unit of stock back, in one
 * statement. (Redeeming is redemption_redeem in SQL and leaves the pack alone: stock does not change.)
 */
export async function releaseRedemption(
  tx: Tx,
  id: string,
  resolution: { status: 'cancelled' | 'expired'; actorRole: string; actorId: string; transactionId: string },
): Promise<void> {
  const result = await sql<{ id: string }>`
    with resolved as (
      update redemptions
         set status = ${resolution.status}, resolved_at = now(), resolved_by_role = ${resolution.actorRole},
             resolved_by_id = ${resolution.actorId}, resolve_transaction_id = ${resolution.transactionId}
       where id = ${id} and status = 'issued'
      returning pack_id
    ), returned as (
      update packs set claimed = claimed - 1, stock_left = stock_left + 1
       where id = (select pack_id from resolved)
      returning id
    )
    select returned.id from returned`.execute(tx);
  if (!result.rows[0]) throw new Error(`redemption ${id} was not issued when released under its lock`);
}

export async function listForVolunteer(db: Db, volunteerId: string, page: { beforeId?: string | undefined; limit: number }): Promise<RedemptionView[]> {
  let q = viewOf(db).where('redemptions.volunteer_id', '=', volunteerId).orderBy('redemptions.id', 'desc').limit(page.limit + 1);
  if (page.beforeId) q = q.where('redemptions.id', '<', page.beforeId);
  return q.execute();
}

/**
 * A merchant's redeemed claims, newest first, keyset paged on (resolved_at, id). The cursor holds
 * the time as integer microseconds, so no precision is lost between pages.
 */
export async function listRedeemedForMerchant(
  db: Db,
  merchantId: string,
  filter: { from?: Date | undefined; to?: Date | undefined; before?: { micros: number; id: string } | undefined; limit: number },
): Promise<(RedemptionView & { resolved_micros: number })[]> {
  let q = viewOf(db)
    .select(sql<number>`ledger_micros(redemptions.resolved_at)`.as('resolved_micros'))
    .where('redemptions.merchant_id', '=', merchantId)
    .where('redemptions.status', '=', 'redeemed')
    .orderBy('redemptions.resolved_at', 'desc')
    .orderBy('redemptions.id', 'desc')
    .limit(filter.limit + 1);
  if (filter.from) q = q.where('redemptions.resolved_at', '>=', filter.from);
  if (filter.to) q = q.where('redemptions.resolved_at', '<', filter.to);
  if (filter.before) {
    const at = sql<Date>`(timestamptz 'epoch' + ${filter.before.micros}::bigint * interval '1 microsecond')`;
    q = q.where(sql<boolean>`(redemptions.resolved_at, redemptions.id) < (${at}, ${filter.before.id}::uuid)`);
  }
  return q.execute();
}

// A claim and a redeem are each one statement, sent through the write groups (writes/groups.ts):
// committed together with whatever other writes arrive at the same moment.

/** What redemption_claim is asked to do (sql/0010_packs_and_redemptions.sql). */
export type ClaimRequest = {
  idempotency: IdempotencyScope | null;
  redemption: { id: string; packId: string; merchantId: string; volunteerId: string; points: number; issuedAt: string; expiresAt: string; token: string; kid: string };
  /** The star thresholds in minutes, for the pack's minimum star level. */
  starMinutes: number[];
  reserveTransactionId: string;
  actorRole: string;
  actorId: string;
  /** The response body, stored under the Idempotency-Key; null without one. */
  body: unknown;
};

/**
 * Claims a pack in one statement (redemption_claim): reserve the points through ledger_apply, take a
 * unit of stock under the pack row's lock, count the per-volunteer limit, record the claim. With an
 * idempotency key already used for the same claim, answers the stored body instead (`replayed`).
 */
export async function claimInDatabase(writes: WriteGroups, request: ClaimRequest): Promise<{ replayed: boolean; body: unknown }> {
  return writes.claim(request);
}

/**
 * Redeems a claim in one statement (redemption_redeem in sql/0010_packs_and_redemptions.sql): lock the claim,
 * return it unchanged if already redeemed, refuse a cancelled or expired one, else settle it through
 * ledger_apply (the pack row is not touched). Returns the claim as it now stands.
 */
export async function redeemInDatabase(
  writes: WriteGroups,
  request: { id: string; merchantId: string; points: number; transactionId: string; actorRole: string; actorId: string },
): Promise<RedemptionRow> {
  const r = await writes.redeem(request);
  const at = (v: unknown) => (typeof v === 'string' ? new Date(v) : null);
  return {
    ...(r as unknown as RedemptionRow),
    points: Number(r.points),
    issued_at: new Date(String(r.issued_at)),
    expires_at: new Date(String(r.expires_at)),
    resolved_at: at(r.resolved_at),
  };
}

