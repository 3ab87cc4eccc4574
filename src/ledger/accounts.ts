import { createHash, randomInt } from 'node:crypto';
import type { Db, Tx } from '../db/database.js';

/**
 * Account ids are derived, never looked up, with the same rule as SQL's ledger_account_id:
 * a volunteer's spendable account is the volunteer's id, a merchant's is the merchant's id, and
 * the rest are md5-uuids of a tag.
 */
export function taggedAccountId(tag: string): string {
  const hex = createHash('md5').update(tag).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Issuance is split into shards so concurrent awards lock different rows (no hot row). */
export const issuanceShards = 32;
export const issuanceAccountId = (shard: number) => taggedAccountId(`issuance:${shard}`);
export const randomIssuanceAccount = () => issuanceAccountId(randomInt(issuanceShards));
/**
 * A posting may name "the issuance account" without a shard; the ledger picks it when it writes:
 * one shard for a whole group of writes (see writes/groups.ts), a random one for a write on its own.
 */
export const anyIssuanceAccount = 'issuance';

/** The request with every posting on `anyIssuanceAccount` moved to the given shard's account. */
export function resolveIssuance<T extends { postings?: { account: string; amount: number }[] | undefined }>(request: T, issuance: string): T {
  if (!request.postings?.some((p) => p.account === anyIssuanceAccount)) return request;
  return { ...request, postings: request.postings.map((p) => (p.account === anyIssuanceAccount ? { ...p, account: issuance } : p)) };
}
export const volunteerAccountId = (volunteerId: string) => volunteerId;
/** Points a volunteer has reserved for unredeemed claims. */
export const heldAccountId = (volunteerId: string) => taggedAccountId(`held:${volunteerId}`);
/** Points redeemed at a merchant that the programme still owes it. */
export const merchantAccountId = (merchantId: string) => merchantId;
/** Points the programme has settled (paid out) to a merchant. */
export const payoutAccountId = (merchantId: string) => taggedAccountId(`payout:${merchantId}`);

/** Opens a volunteer's accounts; called in the transaction that registers the volunteer. */
export async function openVolunteerAccounts(tx: Tx | Db, volunteerId: string): Promise<void> {
  await tx
    .insertInto('accounts')
    .values([
      { id: volunteerAccountId(volunteerId), kind: 'volunteer', owner_id: volunteerId },
      { id: heldAccountId(volunteerId), kind: 'held', owner_id: volunteerId },
    ])
    .execute();
}

/** Opens a merchant's accounts; called in the transaction that signs the merchant up. */
export async function openMerchantAccounts(tx: Tx | Db, merchantId: string): Promise<void> {
  await tx
    .insertInto('accounts')
    .values([
      { id: merchantAccountId(merchantId), kind: 'merchant', owner_id: merchantId },
      { id: payoutAccountId(merchantId), kind: 'payout', owner_id: merchantId },
    ])
    .execute();
}
