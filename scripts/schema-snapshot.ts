/**
 * Writes docs/schema.sql: the schema the migrations in sql/ produce, in one normalised file (see
 * scripts/lib/schema.ts). It migrates a throwaway embedded database, so it needs no server and
 * touches no data. Run it after adding a migration, and commit the result with it.
 *   npm run schema:snapshot             rewrite docs/schema.sql
 *   npm run schema:snapshot -- --check  exit 1 if docs/schema.sql is out of date
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { firstDifference, schemaSnapshot, snapshotCommand, snapshotPath } from './lib/schema.js';
import { repoRoot } from './lib/service.js';

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-schema-'));
  try {
    const database = await openDatabase({ dataDir, poolMax: 1 });
    let snapshot: string;
    try {
      await migrate(database);
      snapshot = await database.inScriptTransaction((runner) => schemaSnapshot((text) => runner.query(text)));
    } finally {
      await database.close();
    }
    const file = path.join(repoRoot, snapshotPath);
    if (values.check) {
      const committed = await fs.readFile(file, 'utf8').catch(() => '');
      const difference = firstDifference(committed, snapshot);
      if (difference) {
        process.stderr.write(`${snapshotPath} is out of date with the migrations; run \`${snapshotCommand}\` and commit it\n${difference}\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write(`${snapshotPath} matches the migrations\n`);
      }
      return;
    }
    await fs.writeFile(file, snapshot);
    process.stdout.write(`wrote ${snapshotPath} (${snapshot.split('\n').length} lines)\n`);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

run().catch((error: unknown) => {
  process.stderr.write(`schema:snapshot: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
