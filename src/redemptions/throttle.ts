import { DomainError } from '../errors.js';

/**
 * Counts a merchant's failed redemption attempts (forged, expired, foreign or reused codes) in a
 * sliding window and refuses further attempts with 429 once there are too many, so a compromised
 * counter device cannot grind through guesses. In-memory, per instance.
 */
export class FailureThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  private recent(key: string, now: number): number[] {
    const kept = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }

  /** Throws rate_limited while `key` has used up its failures for the window. */
  check(key: string): void {
    if (this.max <= 0) return;
    const now = Date.now();
    const recent = this.recent(key, now);
    if (recent.length >= this.max) {
      const retryAfter = Math.max(1, Math.ceil((this.windowMs - (now - (recent[0] ?? now))) / 1000));
      throw new DomainError('rate_limited', `too many failed redemption attempts; try again in ${retryAfter} s`, {}, retryAfter);
    }
  }

  fail(key: string): void {
    if (this.max <= 0) return;
    const now = Date.now();
    this.recent(key, now).push(now);
    if (!this.failures.has(key)) this.failures.set(key, [now]);
  }
}

/** The codes that count as a failed attempt. */
export const failedAttemptCodes = new Set(['token_invalid', 'token_expired', 'token_wrong_merchant', 'token_already_used']);
