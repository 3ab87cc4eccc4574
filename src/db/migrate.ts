import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

/**
 * The package root: the nearest folder above this module holding package.json. The same code runs
 * from src/ (through tsx) and compiled into dist/ (one level deeper), so the migrations are found
 * from the root rather than by a fixed number of `..` steps.
 */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}: cannot find the sql/ migrations`);
  }
}

export const sqlDir = path.join(packageRoot(path.dirname(fileURLToPath(import.meta.url))), 'sql');

/** An arbitrary, fixed advisory-lock key: every instance migrating the same database takes this one. */
const migrationLockKey = 7_106_915_311;

export interface MigrationFile {
  name: string;
  checksum: string;
  script: string;
}

export async function readMigrations(dir = sqlDir): Promise<MigrationFile[]> {
  const names = (await fs.readdir(dir)).filter((n) => /^\d{4}_[a-z0-9_]+\.sql$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => {
      const script = await fs.readFile(path.join(dir, name), 'utf8');
      return { name, script, checksum: createHash('sha256').update(script).digest('hex') };
    }),
  );
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies the `sql/*.sql` files not yet recorded, in name order, each in its own transaction under
 * one advisory lock, so several instances starting together apply each file exactly once. A file
 * that changed after it was applied stops the start: migrations are frozen once they land.
 */
export async function migrate(database: Database, dir = sqlDir): Promise<string[]> {
  const files = await readMigrations(dir);
  const applied: string[] = [];
  for (const file of files) {
    const didApply = await database.inScriptTransaction(async (runner) => {
      await runner.query('select pg_advisory_xact_lock($1)', [migrationLockKey]);
      await runner.exec(`create table if not exists schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
      const rows = await runner.query<{ checksum: string }>(
        'select checksum from schema_migrations where name = $1',
        [file.name],
      );
      const existing = rows[0];
      if (existing) {
        if (existing.checksum !== file.checksum) {
          throw new MigrationError(
            `migration ${file.name} was edited after it was applied (checksum differs); add a new migration instead`,
          );
        }
        return false;
      }
      await runner.exec(file.script);
      await runner.query('insert into schema_migrations (name, checksum) values ($1, $2)', [file.name, file.checksum]);
      return true;
    });
    if (didApply) applied.push(file.name);
  }
  return applied;
}
