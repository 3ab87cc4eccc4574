import type { Deps } from './deps.js';
import { purgeExpiredSignIns } from './sessions/repository.js';
import { purgeIdempotencyKeys } from './writes/idempotency.js';

/** How often expired idempotency records are purged. */
export const idempotencyPurgeIntervalMs = 60 * 60 * 1000;

/** How long expired sign-in codes and sessions stay (a day, to answer "when did I last sign in"). */
const signInRetentionSeconds = 24 * 3600;

/**
 * Periodic housekeeping that never touches ledger rows: forgetting idempotency responses past their
 * retention, and sign-in codes and sessions a day past their expiry. Safe with several instances
 * (a DELETE by age is idempotent). Returns a stop function.
 */
export function startMaintenance(deps: Pick<Deps, 'db' | 'logger' | 'metrics'>): () => void {
  const purge = async () => {
    try {
      const removed = await purgeIdempotencyKeys(deps.db);
      deps.metrics.sweeperRuns.inc({ sweeper: 'idempotency', outcome: 'ok' });
      if (removed > 0) deps.logger.info({ removed }, 'purged expired idempotency records');
    } catch (error) {
      deps.metrics.sweeperRuns.inc({ sweeper: 'idempotency', outcome: 'failed' });
      deps.logger.warn({ err: error }, 'idempotency purge failed; will retry');
    }
    try {
      const removed = await purgeExpiredSignIns(deps.db, signInRetentionSeconds);
      deps.metrics.sweeperRuns.inc({ sweeper: 'sign_in', outcome: 'ok' });
      if (removed > 0) deps.logger.info({ removed }, 'purged expired sign-in codes and sessions');
    } catch (error) {
      deps.metrics.sweeperRuns.inc({ sweeper: 'sign_in', outcome: 'failed' });
      deps.logger.warn({ err: error }, 'sign-in purge failed; will retry');
    }
  };
  const timer = setInterval(() => void purge(), idempotencyPurgeIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
