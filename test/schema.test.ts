import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstDifference, schemaSnapshot, snapshotCommand, snapshotPath } from '../scripts/lib/schema.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createScratchDatabase } from './support/scratch.js';

/**
 * docs/schema.sql is the schema in one view, generated from a migrated database. These tests fail
 * when it no longer says what the migrations produce, on the PostgreSQL server the tests use and on
 * the embedded PGlite, so a new migration cannot land without its snapshot.
 */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
let committed: string;

function expectSnapshot(migrated: string, where: string) {
  const difference = firstDifference(committed, migrated);
  expect(difference, `${snapshotPath} differs from what the migrations produce on ${where}: run \`${snapshotCommand}\` and commit the result\n${difference}`).toBeUndefined();
}

beforeAll(async () => {
  committed = await fs.readFile(path.join(repoRoot, snapshotPath), 'utf8');
});

describe('the schema snapshot', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  afterAll(async () => scratch?.drop());

  it('matches a database migrated on the test PostgreSQL server', async () => {
    scratch = await createScratchDatabase();
    const migrated = await schemaSnapshot(async (text) => (await scratch.sql.unsafe(text)) as never[]);
    expectSnapshot(migrated, 'the test PostgreSQL server');
  });

  it('matches a database migrated on the embedded PGlite', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-schema-test-'));
    try {
      const database = await openDatabase({ dataDir, poolMax: 1 });
      try {
        await migrate(database);
        expectSnapshot(await database.inScriptTransaction((runner) => schemaSnapshot((text) => runner.query(text))), 'the embedded PGlite');
      } finally {
        await database.close();
      }
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('names every table, function and trigger the migrations create', async () => {
    // A guard on the renderer itself: a catalogue query that silently returned nothing would
    // otherwise produce a snapshot that matches itself and says nothing.
    for (const piece of [
      'create table ledger_postings (',
      'constraint accounts_non_negative CHECK',
      'CREATE UNIQUE INDEX ledger_transactions_reserve_once',
      'CREATE OR REPLACE FUNCTION public.ledger_apply(p jsonb)',
      "SET enable_seqscan TO 'off'",
      'CREATE CONSTRAINT TRIGGER ledger_transactions_balanced',
      'alter table ledger_postings enable always trigger ledger_postings_append_only;',
      'create sequence certificate_number_seq',
      'id bigint generated always as identity not null',
    ]) {
      expect(committed).toContain(piece);
    }
  });
});
