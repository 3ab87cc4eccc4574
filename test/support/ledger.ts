import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { anyIssuanceAccount } from '../../src/ledger/accounts.js';
import type { LedgerRequest } from '../../src/ledger/apply.js';
import type { TestApp } from './app.js';

export const key = () => randomUUID();

/** Awards points as an admin and asserts it worked. */
export async function award(app: TestApp, adminToken: string, volunteerId: string, points: number, reason = 'test award') {
  const res = await app.request('POST', '/v1/awards', { token: adminToken, body: { volunteerId, points, reason }, headers: { 'idempotency-key': key() } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { transactionId: string; balance: number };
}

export async function balanceOf(app: TestApp, adminToken: string, volunteerId: string): Promise<number> {
  const res = await app.request('GET', `/v1/volunteers/${volunteerId}/balance`, { token: adminToken });
  expect(res.status).toBe(200);
  return res.body.balance;
}

/** The ledger verifies and balances sum to zero: checked after every ledger test file. */
export async function expectLedgerSound(app: TestApp, adminToken: string) {
  const verify = await app.request('GET', '/v1/ledger/verify', { token: adminToken });
  expect(verify.status).toBe(200);
  expect(verify.body.firstMismatch).toBeUndefined();
  expect(verify.body.ok).toBe(true);
  const totals = await app.request('GET', '/v1/ledger/totals', { token: adminToken });
  expect(totals.body.sumOfBalances).toBe(0);
}

/** A ledger request crediting (or, negative, debiting) a volunteer from issuance, for driving write groups directly. */
export const credit = (volunteerId: string, points: number, id = randomUUID()): LedgerRequest => ({
  transaction: { id, kind: 'adjustment', memo: 'group test', actorRole: 'admin', actorId: 'test-admin' },
  postings: [
    { account: anyIssuanceAccount, amount: -points },
    { account: volunteerId, amount: points },
  ],
});

/** What the ledger says happened to a claim: the kinds of the transactions that name it, oldest first. */
export async function ledgerKinds(app: TestApp, redemptionId: string): Promise<string[]> {
  const rows = await sql<{ kind: string }>`select kind from ledger_transactions where reference = ${redemptionId} order by created_at, kind`.execute(app.deps.db);
  return rows.rows.map((r) => r.kind);
}
