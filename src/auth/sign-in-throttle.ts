import { DomainError } from '../errors.js';

/** Most client addresses remembered; beyond it the longest-idle are forgotten. */
const clientsMax = 100_000;
const windowMs = 60_000;

/**
 * Limits guessing of sign-in codes: failed attempts are counted per client address and across the
 * whole instance in a sliding minute. Once either count is used up every attempt (even with a good
 * code) gets 429 with Retry-After until the window frees, so guessing cannot go faster than the
 * limits. In-memory and per instance; a code space of 31^8 keeps that ample.
 */
export class SignInThrottle {
  private readonly perClient = new Map<string, number[]>();
  private global: number[] = [];

  constructor(
    private readonly perClientMax: number,
    private readonly globalMax: number,
  ) {}

  /** Throws rate_limited while the client, or everyone together, has used up the minute's failures. */
  check(client: string): void {
    const now = Date.now();
    this.global = this.global.filter((t) => now - t < windowMs);
    const mine = this.recent(client, now);
    const full = (list: number[], max: number) => (list.length >= max ? Math.max(1, Math.ceil((windowMs - (now - (list[list.length - max] ?? now))) / 1000)) : 0);
    const retryAfter = Math.max(full(mine, this.perClientMax), full(this.global, this.globalMax));
    if (retryAfter > 0) throw new DomainError('rate_limited', `too many failed sign-in attempts; try again in ${retryAfter} s`, {}, retryAfter);
  }

  fail(client: string): void {
    const now = Date.now();
    const mine = this.recent(client, now);
    mine.push(now);
    this.perClient.delete(client);
    if (this.perClient.size >= clientsMax) {
      const oldest = this.perClient.keys().next();
      if (!oldest.done) this.perClient.delete(oldest.value);
    }
    // Re-inserting keeps the map in least-recently-failed order for eviction.
    this.perClient.set(client, mine.slice(-this.perClientMax));
    this.global.push(now);
    if (this.global.length > this.globalMax) this.global = this.global.slice(-this.globalMax);
  }

  private recent(client: string, now: number): number[] {
    const list = this.perClient.get(client);
    if (!list) return [];
    const kept = list.filter((t) => now - t < windowMs);
    if (kept.length === 0) this.perClient.delete(client);
    else this.perClient.set(client, kept);
    return kept;
  }
}
