import { randomBytes } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/** Random bytes drawn in blocks (as crypto.randomUUID does): one call per 256 ids, not one per id. */
const poolSize = 16 * 256;
let pool = Buffer.alloc(0);
let poolOffset = poolSize;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Ids minted by one process
 * are strictly increasing (a 12-bit counter breaks ties within a millisecond), so keyset paging
 * by id follows creation order without a separate timestamp column in the key.
 */
export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1;
      sequence = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    sequence = 0;
  }
  if (poolOffset >= poolSize) {
    pool = randomBytes(poolSize);
    poolOffset = 0;
  }
  // Each id takes its own 16 bytes of the block, used once.
  const bytes = pool.subarray(poolOffset, (poolOffset += 16));
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
