import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.js';
import { mapDatabaseError } from '../src/db/errors.js';
import { migrate } from '../src/db/migrate.js';
import { DomainError } from '../src/errors.js';
import { anyIssuanceAccount } from '../src/ledger/accounts.js';
import type { LedgerRequest } from '../src/ledger/apply.js';
import { createWriteGroups } from '../src/writes/groups.js';
import { verifyLedgerRows } from '../src/ledger/verify.js';
import { credit } from './support/ledger.js';

// The embedded default (PGlite) runs write_group too. Over HTTP its single in-process connection
// rarely lets a queue form, so groups are driven here directly: every write is submitted in one
// tick, the first goes alone and the rest go as one group.

let database: Database;
let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-groups-'));
  database = await openDatabase({ dataDir, poolMax: 1 });
  await migrate(database);
}, 120_000);
afterAll(async () => {
  await database?.close();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

async function newVolunteers(count: number): Promise<string[]> {
  const unit = randomUUID();
  await sql`insert into org_units (id, name, path, depth) values (${unit}, ${`unit ${unit}`}, ${`/${unit}/`}, 1)`.execute(database.db);
  const ids = Array.from({ length: count }, () => randomUUID());
  for (const id of ids) {
    await sql`insert into volunteers (id, name, org_unit_id) values (${id}, ${`volunteer ${id}`}, ${unit})`.execute(database.db);
    await sql`insert into accounts (id, kind, owner_id) values (${id}, 'volunteer', ${id}), (ledger_account_id('held:' || ${id}), 'held', ${id})`.execute(database.db);
  }
  return ids;
}

const balance = async (id: string) => Number((await sql<{ balance: string }>`select balance from accounts where id = ${id}`.execute(database.db)).rows[0]?.balance);

describe('group commit on the embedded database', () => {
  it('commits a group, refuses one item alone, and replays a repeated key within the group', async () => {
    const [a, b] = await newVolunteers(2);
    const sizes: number[] = [];
    const writes = createWriteGroups(database.db, { groupsMax: 1, groupSizeMax: 32, onGroup: (n) => sizes.push(n) });
    const idempotency = { caller: 'admin:test-admin', key: randomUUID(), hash: 'same' };
    const results = await Promise.allSettled([
      writes.ledger(credit(a!, 5)),
      writes.ledger(credit(a!, 10)),
      writes.ledger(credit(b!, -50)),
      writes.ledger({ ...credit(b!, 20), idempotency }),
      writes.ledger({ ...credit(b!, 20), idempotency }),
    ]);
    expect(sizes).toEqual([1, 4]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const refusal = mapDatabaseError((results[2] as PromiseRejectedResult).reason);
    expect(refusal).toBeInstanceOf(DomainError);
    expect((refusal as DomainError).code).toBe('insufficient_points');
    const [first, second] = [results[3], results[4]].map((r) => (r as PromiseFulfilledResult<{ replayed: boolean; result: { transactionId: string } }>).value);
    expect(first!.replayed).toBe(false);
    expect(second!.replayed).toBe(true);
    expect(second!.result.transactionId).toBe(first!.result.transactionId);
    expect(await balance(a!)).toBe(15);
    expect(await balance(b!)).toBe(20);
  });

  it('runs a group with a malformed item again item by item, so only that item fails', async () => {
    const [v] = await newVolunteers(1);
    const sizes: number[] = [];
    const writes = createWriteGroups(database.db, { groupsMax: 1, groupSizeMax: 32, onGroup: (n) => sizes.push(n) });
    const bad: LedgerRequest = { ...credit(v!, 3), postings: [{ account: anyIssuanceAccount, amount: -3 }, { account: 'not-a-uuid', amount: 3 }] };
    const results = await Promise.allSettled([writes.ledger(credit(v!, 1)), writes.ledger(credit(v!, 2)), writes.ledger(bad), writes.ledger(credit(v!, 4))]);
    expect(sizes).toEqual([1, 3]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await balance(v!)).toBe(7);
  });

  it('leaves a ledger that verifies and sums to zero', async () => {
    const report = await verifyLedgerRows({ db: database.db });
    expect(report.ok).toBe(true);
    const sum = await sql<{ s: string }>`select coalesce(sum(balance), 0) as s from accounts`.execute(database.db);
    expect(Number(sum.rows[0]?.s)).toBe(0);
  });
});
