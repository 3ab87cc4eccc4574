import { describe, expect, it } from 'vitest';
import { batchLoader } from '../src/db/batch.js';

describe('batchLoader', () => {
  it('answers every lookup of one turn with one call, each key with its own value, each key loaded once', async () => {
    const calls: string[][] = [];
    const load = batchLoader<number>(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length]));
    });
    const results = await Promise.all(['a', 'bb', 'a', 'ccc', 'missing'].map((k) => load(k)));
    expect(results).toEqual([1, 2, 1, 3, undefined]);
    expect(calls).toEqual([['a', 'bb', 'ccc', 'missing']]);
    // A later turn is a new batch.
    expect(await load('dddd')).toBe(4);
    expect(calls).toHaveLength(2);
  });

  it('splits a large batch into slices, and a failing slice fails only its own lookups', async () => {
    const load = batchLoader<string>(async (keys) => {
      if (keys.includes('k3')) throw new Error('slice failed');
      return new Map(keys.map((k) => [k, k.toUpperCase()]));
    }, 2);
    const results = await Promise.allSettled(['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => load(k)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[4] as PromiseFulfilledResult<string>).value).toBe('K5');
  });
});
