import { isRetryable, mapDatabaseError } from '../db/errors.js';
import { DomainError } from '../errors.js';

/** How many times a transaction that hit a serialization failure or deadlock is run again. */
export const retryAttemptsMax = 4;

/**
 * Runs `work` again when PostgreSQL reports a serialization failure or deadlock (the transaction did
 * nothing), a bounded number of times with jitter, then gives up with 503 and Retry-After.
 */
export async function withRetry<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isRetryable(error)) throw mapDatabaseError(error);
      if (attempt >= retryAttemptsMax) throw new DomainError('service_unavailable', 'the ledger is busy; retry shortly', {}, 1);
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 10 * attempt));
    }
  }
}
