/**
 * A bank test after Jepsen's: many concurrent clients move points around over HTTP (awards, claims,
 * redeems, cancels, reversals, replays with the same Idempotency-Key, deliberate races) while
 * readers keep summing every balance. Money is only ever moved, never made or lost, so:
 *   - every read of GET /v1/ledger/totals has sumOfBalances = 0, and no volunteer balance read is negative;
 *   - at the end GET /v1/ledger/verify passes;
 *   - every acknowledged (2xx) write is in the ledger with what was acknowledged, nothing else is,
 *     and each volunteer's balance and held points equal what the acknowledged writes add up to;
 *   - a replay with the same key returns the original result; each redemption resolved at most once.
 * It speaks only the public HTTP contract, so it runs against any deployment (one or several
 * instances). Ambiguous outcomes (no definite answer after bounded retries) are counted, and the
 * volunteers they touch are left out of the exact balance check rather than guessed at.
 */
import { createBank } from './bank/context.js';
import { driveBank } from './bank/load.js';
import { reckonBank } from './bank/reckoning.js';
import { setUpBank } from './bank/setup.js';
import type { BankOptions, BankReport } from './bank/types.js';

export type { BankOptions, BankReport };

/**
 * Runs the bank test in its three phases: set-up (bank/setup.ts), the load of writers and readers
 * (bank/load.ts, with the operations in bank/operations.ts), and the final reckoning of the service
 * against everything it acknowledged (bank/reckoning.ts).
 */
export async function runBank(options: BankOptions): Promise<BankReport> {
  const b = createBank(options);
  const { report } = b;
  await setUpBank(b);
  options.log?.(
    `bank: seed ${report.seed}, ${report.volunteers} volunteers, ${b.packs.length} packs, ${options.clients} clients, ${report.readers} readers, ${options.durationSeconds} s, ${options.baseUrls.length} instance(s)`,
  );
  const load = await driveBank(b);
  report.writesPerSecond = Math.round(load.writes / load.seconds);
  await reckonBank(b);
  if (b.anomalyCount() > report.anomalies.length) report.anomalies.push(`… and ${b.anomalyCount() - report.anomalies.length} more`);
  return report;
}

/** A few lines a person can read: what ran, what was acknowledged, what was checked, what went wrong. */
export function formatBankReport(r: BankReport): string {
  const ack = Object.entries(r.acknowledged)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `bank test: seed ${r.seed}, ${r.durationSeconds} s, ${r.clients} clients, ${r.readers} readers, ${r.volunteers} volunteers; ${r.writesPerSecond} operations/s`,
    `  acknowledged: ${ack}`,
    `  reads: ${r.totalsReads} totals (sumOfBalances 0 each time unless listed below), ${r.balanceReads} balances`,
    `  outcomes: ${Object.entries(r.outcomes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ')}`,
    `  answered only after a retry: ${r.retriedUnavailable}; no answer: ${r.noAnswer}; server errors: ${r.serverErrors}; ambiguous: ${r.ambiguous}`,
    `  final: verify ${r.final.verifyOk ? 'ok' : 'FAILED'} (${r.final.entriesChecked} entries), sumOfBalances ${String(r.final.sumOfBalances)}, ${r.final.transactionsChecked} transactions, ${r.final.redemptionsChecked} claims, ${r.final.balancesChecked} balances (${r.final.balancesSkipped} skipped as ambiguous), ${r.final.packsChecked} packs checked`,
    `  anomalies: ${r.anomalies.length === 0 ? 'none' : `\n    ${r.anomalies.join('\n    ')}`}`,
  ].join('\n');
}
