/**
 * Prints the service's OpenAPI document (the same one `GET /openapi.json` serves) to stdout, with no
 * database server and no set-up: the app is built over a throwaway embedded database in a temporary
 * DATA_DIR, asked for its document, and the directory is removed again.
 *   npm run lint:openapi            (lints it with Redocly)
 *   tsx scripts/openapi.ts > openapi.json
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.js';
import { buildDeps } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';

async function run(): Promise<void> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-openapi-'));
  try {
    // A clean environment on purpose: the document must not depend on whoever runs the script,
    // and a DATABASE_URL in the caller's shell must not be touched. Migrations are not needed,
    // because building the app reads nothing from the database.
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', MIGRATE_ON_START: 'false' });
    const deps = await buildDeps(config, createLogger(config.LOG_LEVEL));
    try {
      const response = await buildApp(deps).request('/openapi.json');
      if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
      const document: unknown = await response.json();
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    } finally {
      await deps.database.close();
    }
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

run().catch((error: unknown) => {
  process.stderr.write(`openapi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
