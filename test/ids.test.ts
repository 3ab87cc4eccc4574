import { describe, expect, it } from 'vitest';
import { newId, uuidPattern } from '../src/db/ids.js';

describe('newId', () => {
  it('mints distinct, strictly increasing version-7 UUIDs across many blocks of random bytes', () => {
    const ids = Array.from({ length: 10_000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    for (const id of ids) {
      expect(id).toMatch(uuidPattern);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    // The random tails differ: no two ids share their last 12 hex digits (62 random bits).
    expect(new Set(ids.map((id) => id.slice(24))).size).toBe(ids.length);
  });
});
