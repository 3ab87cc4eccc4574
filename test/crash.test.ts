import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBankReport } from '../scripts/lib/bank.js';
import { createRig, databaseOutage, destroyRig, killDuringAwards, multiInstanceBank, type Rig } from '../scripts/lib/crash.js';

/**
 * The crash tests (scripts/lib/crash.ts) in their short CI form, on a throwaway PostgreSQL cluster
 * of their own (never the shared server): kill -9 of the service under award load, PostgreSQL
 * stopped under load (-m immediate, and -m fast as pg_ctlcluster does), and two service processes on one database running the bank test.
 * `npm run crash-test` runs the same scenarios for longer.
 */
let rig: Rig | undefined;
const log = (line: string) => console.info(line);

beforeAll(async () => {
  rig = await createRig(log);
}, 180_000);
afterAll(async () => {
  await destroyRig(rig);
}, 120_000);

function current(): Rig {
  if (!rig) throw new Error('the crash-test rig did not start');
  return rig;
}

describe('crash and fault tests', () => {
  it('(a) kill -9 under award load: every acknowledged award survives, retries with the same key get the original result', { timeout: 300_000 }, async () => {
    const report = await killDuringAwards(current(), { clients: 8, secondsBeforeKill: 4, secondsAfterRestart: 2, replaySample: 200 });
    console.info(`kill -9: ${JSON.stringify(report)}`);
    expect(report.check.anomalies).toEqual([]);
    expect(report.acknowledgedBeforeKill).toBeGreaterThan(0);
    expect(report.check.verifyOk).toBe(true);
    expect(report.check.transactionsFound).toBe(report.check.acknowledged);
    expect(report.check.replaysIdentical).toBe(report.check.replaysSent);
    expect(report.check.balancesChecked).toBe(20);
  });

  for (const mode of ['immediate', 'fast'] as const) {
    it(`(b) PostgreSQL stopped (-m ${mode}) under load: 503 with Retry-After and /readyz 503 while down, recovery within 5 s and within 1 s of /readyz 200, nothing acknowledged lost`, { timeout: 300_000 }, async () => {
      const report = await databaseOutage(current(), { mode, clients: 8, secondsBeforeStop: 3, outageSeconds: mode === 'fast' ? 7 : 5, secondsAfterRecovery: 2, replaySample: 200 });
      console.info(`database outage (${mode}): ${JSON.stringify(report)}`);
      expect(report.anomalies).toEqual([]);
      expect(report.check.anomalies).toEqual([]);
      expect(Object.keys(report.answersDuringOutage)).toEqual(['503 service_unavailable']);
      expect(Object.keys(report.readyzDuringOutage).length).toBeGreaterThan(0);
      expect(report.recoveryMs).toBeGreaterThanOrEqual(0);
      expect(report.recoveryMs).toBeLessThanOrEqual(5000);
      expect(report.readyToAwardMs).toBeGreaterThanOrEqual(0);
      expect(report.readyToAwardMs).toBeLessThanOrEqual(1000);
      expect(report.check.verifyOk).toBe(true);
      expect(report.check.replaysIdentical).toBe(report.check.replaysSent);
    });
  }

  it('(c) two service processes on one database keep every bank invariant', { timeout: 300_000 }, async () => {
    const report = await multiInstanceBank(current(), { instances: 2, durationSeconds: 15, clients: 10 });
    console.info(formatBankReport(report.bank));
    expect(report.bank.anomalies).toEqual([]);
    expect(report.bank.final.verifyOk).toBe(true);
    expect(report.bank.serverErrors).toBe(0);
    expect(report.bank.noAnswer).toBe(0);
    expect(report.bank.ambiguous).toBe(0);
    for (const kind of ['award', 'claim', 'redeem', 'cancel', 'reverse', 'replay']) expect(report.bank.acknowledged[kind] ?? 0, kind).toBeGreaterThan(0);
  });
});
