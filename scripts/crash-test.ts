/**
 * Crash and fault tests (npm run crash-test), on a throwaway PostgreSQL cluster of their own (initdb
 * into a temporary directory, its own port; the shared server is never touched). Scenarios, from
 * scripts/lib/crash.ts:
 *   a  kill -9 the service in the middle of award load, restart it, check every acknowledged award
 *      and that retries with the same Idempotency-Key get the original transaction;
 *   b  pg_ctl stop under load, -m immediate and then -m fast in each round: 503 with Retry-After and
 *      /readyz 503 while down, recovery within 5 s of PostgreSQL coming back and within 1 s of
 *      /readyz saying 200, nothing acknowledged lost;
 *   c  several service processes on one database running the bank test.
 *
 * Options (flag or environment): --scenarios / CRASH_SCENARIOS (default abc), --clients /
 * CRASH_CLIENTS (16), --rounds / CRASH_ROUNDS (how many times a and b each run, default 3),
 * --instances / CRASH_INSTANCES (3), --duration / CRASH_BANK_SECONDS (bank run in c, default 60).
 * Needs initdb and pg_ctl (/usr/lib/postgresql/<version>/bin or PATH); as root they run as the
 * postgres OS user. Exits 1 when any scenario found a problem.
 */
import { parseArgs } from 'node:util';
import { formatBankReport } from './lib/bank.js';
import { createRig, databaseOutage, destroyRig, killDuringAwards, multiInstanceBank, type Rig } from './lib/crash.js';

const { values } = parseArgs({
  options: { scenarios: { type: 'string' }, clients: { type: 'string' }, rounds: { type: 'string' }, instances: { type: 'string' }, duration: { type: 'string' } },
});

function setting(flag: string | undefined, env: string, fallback: number): number {
  const text = flag ?? process.env[env];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${env}: expected a positive whole number, got ${text}`);
  return n;
}

const scenarios = values.scenarios ?? process.env.CRASH_SCENARIOS ?? 'abc';
const clients = setting(values.clients, 'CRASH_CLIENTS', 16);
const rounds = setting(values.rounds, 'CRASH_ROUNDS', 3);
const instances = setting(values.instances, 'CRASH_INSTANCES', 3);
const bankSeconds = setting(values.duration, 'CRASH_BANK_SECONDS', 60);
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  let rig: Rig | undefined;
  const problems: string[] = [];
  const stop = () => {
    void destroyRig(rig).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    rig = await createRig(log);
    for (let round = 1; round <= rounds && scenarios.includes('a'); round++) {
      const r = await killDuringAwards(rig, { clients, secondsBeforeKill: 5, secondsAfterRestart: 5 });
      process.stdout.write(
        `(a) kill -9, round ${round}: ${r.acknowledgedBeforeKill} awards acknowledged before the kill, ${r.requestsInFlightAtKill} in flight; restart ${r.restartMs} ms; ` +
          `${r.answeredAfterFault} answered by a retry after the kill (${r.replayedAfterFault} of them had committed before it); ` +
          `${r.check.acknowledged} acknowledged in all, ${r.check.transactionsFound} found, ${r.check.replaysIdentical}/${r.check.replaysSent} retries got the original; verify ${r.check.verifyOk ? 'ok' : 'FAILED'}\n`,
      );
      problems.push(...r.check.anomalies.map((a) => `(a) ${a}`));
    }
    for (let round = 1; round <= rounds && scenarios.includes('b'); round++) {
      for (const mode of ['immediate', 'fast'] as const) {
        const r = await databaseOutage(rig, { mode, clients, secondsBeforeStop: 4, outageSeconds: 8, secondsAfterRecovery: 4 });
        process.stdout.write(
          `(b) PostgreSQL stopped -m ${mode}, round ${round}: outage ${r.outageMs} ms; awards during it ${JSON.stringify(r.answersDuringOutage)} (slowest ${r.slowestAnswerDuringOutageMs} ms); ` +
            `/readyz ${JSON.stringify(r.readyzDuringOutage)} (slowest ${r.slowestReadyzDuringOutageMs} ms); recovered ${r.recoveryMs} ms after PostgreSQL came back (${r.readyToAwardMs} ms after /readyz 200); ` +
            `${r.check.acknowledged} acknowledged, ${r.check.transactionsFound} found, ${r.check.replaysIdentical}/${r.check.replaysSent} retries got the original; verify ${r.check.verifyOk ? 'ok' : 'FAILED'}\n`,
        );
        problems.push(...r.anomalies.map((a) => `(b ${mode}) ${a}`), ...r.check.anomalies.map((a) => `(b ${mode}) ${a}`));
      }
    }
    if (scenarios.includes('c')) {
      const r = await multiInstanceBank(rig, { instances, durationSeconds: bankSeconds, clients });
      process.stdout.write(`(c) ${r.instances} instances on one database:\n${formatBankReport(r.bank)}\n`);
      problems.push(...r.bank.anomalies.map((a) => `(c) ${a}`));
      if (!r.bank.final.verifyOk) problems.push('(c) the ledger did not verify');
    }
  } finally {
    await destroyRig(rig);
  }
  if (problems.length > 0) {
    process.stdout.write(`\nPROBLEMS:\n  ${problems.slice(0, 100).join('\n  ')}\n`);
    process.exitCode = 1;
  } else process.stdout.write('\nall crash scenarios passed\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
