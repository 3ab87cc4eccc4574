import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBankReport, runBank } from '../scripts/lib/bank.js';
import { startTestApp, type TestApp } from './support/app.js';

/**
 * The bank test (scripts/lib/bank.ts) in its short CI form: about 20 seconds of concurrent awards,
 * claims, redeems, cancels, reversals, replays and races against one instance, with readers summing
 * balances throughout; then every acknowledged write is looked up. `npm run bank-test` runs it for
 * longer, against one or several instances.
 */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ RATE_LIMIT_PER_SECOND: '0', DB_POOL_MAX: '10', SWEEPER_INTERVAL_MS: '0' });
});
afterAll(async () => {
  await app?.close();
});

describe('bank test', () => {
  it('keeps every invariant under ~20 s of concurrent writes, replays and races', { timeout: 240_000 }, async () => {
    const report = await runBank({
      baseUrls: [app.baseUrl],
      adminToken: await app.token('admin', 'bank-test'),
      mintToken: (role, sub) => app.token(role, sub),
      durationSeconds: Number(process.env.BANK_SECONDS ?? 20),
      clients: 12,
      readers: 2,
      volunteers: 8,
      ...(process.env.BANK_SEED ? { seed: Number(process.env.BANK_SEED) } : {}),
    });
    console.info(formatBankReport(report));
    expect(report.anomalies).toEqual([]);
    expect(report.final.verifyOk).toBe(true);
    expect(report.final.sumOfBalances).toBe(0);
    expect(report.serverErrors).toBe(0);
    expect(report.noAnswer).toBe(0);
    expect(report.ambiguous).toBe(0);
    expect(report.totalsReads).toBeGreaterThan(10);
    expect(report.final.balancesChecked).toBe(8);
    // Every kind of write happened, or the run proved nothing about it.
    for (const kind of ['award', 'claim', 'redeem', 'cancel', 'reverse', 'replay']) expect(report.acknowledged[kind] ?? 0, kind).toBeGreaterThan(0);
  });
});
