import type { Deps } from './deps.js';
import { purgeIdempotencyKeys } from './writes/idempotency.js';

/** How often expired idempotency records are purged. */
export const idempotencyPurgeIntervalMs = 60 * 60 * 1000;

/**
 * Periodic housekeeping that never touches ledger rows: forgetting idempotency responses past their
 * retention. Safe with several instances (a DELETE by age is idempotent). Returns a stop function.
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
  };
  const timer = setInterval(() => void purge(), idempotencyPurgeIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
