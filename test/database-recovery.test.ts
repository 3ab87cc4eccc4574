import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, type Cluster } from '../scripts/lib/cluster.js';
import { openDatabase, ping, type Database } from '../src/db/database.js';

/**
 * The connection pool after a database outage, on a throwaway PostgreSQL cluster of its own (never
 * the shared server): PostgreSQL is stopped with `-m fast` for about seven seconds and started
 * again. While it is down every request is answered at once (a refusal, never a wait for the whole
 * acquire timeout); requests waiting when it comes back are served as soon as a connection works;
 * and from the first request that gets through, every request does.
 */

let cluster: Cluster | undefined;
let database: Database | undefined;
const acquireTimeoutMs = 5_000;
const poolMax = 4;

beforeAll(async () => {
  cluster = await createCluster();
}, 180_000);
afterAll(async () => {
  await database?.close();
  await cluster?.destroy();
}, 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  ok: boolean;
  sentAt: number;
  at: number;
}

async function timedPing(db: Database): Promise<Outcome> {
  const sentAt = Date.now();
  try {
    await ping(db.db);
    return { ok: true, sentAt, at: Date.now() };
  } catch {
    return { ok: false, sentAt, at: Date.now() };
  }
}

describe('database recovery', () => {
  it('after PostgreSQL is stopped with -m fast and started again, waiting requests are served at once', { timeout: 120_000 }, async () => {
    const c = cluster!;
    database = await openDatabase({ databaseUrl: c.url(), dataDir: '/nonexistent', poolMax, acquireTimeoutMs });
    const db = database;
    // Every connection of the pool open and in use before the stop.
    const warm = await Promise.all(Array.from({ length: poolMax * 3 }, () => timedPing(db)));
    expect(warm.every((o) => o.ok)).toBe(true);

    await c.stop('fast');
    const downAt = Date.now();
    // Load while it is down: more requests at once than the pool has connections.
    const during: Outcome[] = [];
    while (Date.now() - downAt < 6_500) {
      during.push(...(await Promise.all(Array.from({ length: poolMax * 2 }, () => timedPing(db)))));
      await sleep(100);
    }
    // Requests that arrive just before PostgreSQL returns, and keep arriving while it starts.
    const waiting = Array.from({ length: poolMax * 2 }, () => timedPing(db));
    const startAt = Date.now();
    await c.start();
    const upAt = Date.now();
    const arriving: Promise<Outcome>[] = [];
    let firstOk: number | undefined;
    while (Date.now() - upAt < 4_000) {
      const batch = await Promise.all(Array.from({ length: poolMax * 2 }, () => timedPing(db)));
      arriving.push(...batch.map((o) => Promise.resolve(o)));
      const ok = batch.find((o) => o.ok);
      if (ok && firstOk === undefined) firstOk = ok.at;
      if (firstOk !== undefined && Date.now() - firstOk > 1_000) break;
      await sleep(50);
    }
    const waited = await Promise.all(waiting);
    const after = await Promise.all(arriving);

    // While it was down: answered, and quickly (never the whole acquire timeout).
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((o) => o.ok)).toEqual([]);
    expect(Math.max(...during.map((o) => o.at - o.sentAt))).toBeLessThan(1_000);
    // Those waiting at the restart: each answered within a moment of PostgreSQL accepting connections
    // (a refusal while it was still starting, or success once it was up), none after a full timeout.
    for (const o of waited) expect(o.at - Math.max(o.sentAt, upAt), JSON.stringify({ ...o, startAt, upAt })).toBeLessThan(1_500);
    // Recovery is prompt, and once one request gets through, every later one does.
    expect(firstOk, 'no request got through after the restart').toBeDefined();
    expect(firstOk! - upAt).toBeLessThan(1_500);
    const later = after.filter((o) => o.sentAt > firstOk! + 100);
    expect(later.length).toBeGreaterThan(0);
    expect(later.filter((o) => !o.ok)).toEqual([]);
    expect(Math.max(...later.map((o) => o.at - o.sentAt))).toBeLessThan(1_000);
    // And a burst larger than the pool goes through at once.
    const burst = await Promise.all(Array.from({ length: poolMax * 5 }, () => timedPing(db)));
    expect(burst.every((o) => o.ok)).toBe(true);
  });
});
