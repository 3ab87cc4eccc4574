/**
 * Verifies the ledger of the configured database (DATABASE_URL, else the embedded one in DATA_DIR:
 * stop the service first, PGlite is single-process) and prints the result and the digest an auditor
 * records. Exits 1 when any row does not match.
 *   npm run verify            # verify now
 *   npm run verify -- --as-of 2026-11-01T00:00:00Z   # also print the digest as of that moment
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { ledgerDigestAsOf } from '../src/ledger/digest.js';
import { verifyLedgerRows } from '../src/ledger/verify.js';

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { 'as-of': { type: 'string' } } });
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 2 });
  try {
    const result = await verifyLedgerRows({ db: database.db });
    const digest = values['as-of'] ? await ledgerDigestAsOf({ db: database.db }, values['as-of']) : undefined;
    process.stdout.write(`${JSON.stringify({ database: database.location, ...result, ...(digest ? { requestedDigest: digest } : {}) }, null, 2)}\n`);
    process.exitCode = result.ok ? 0 : 1;
  } finally {
    await database.close();
  }
}

run().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
