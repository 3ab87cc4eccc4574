import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from './support/scratch.js';

/**
 * The operator scripts run as an operator runs them: their own process, against PostgreSQL, and
 * they must finish by themselves (a leaked connection keeps a Node process alive for ever).
 */

const run = promisify(execFile);
let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

beforeAll(async () => {
  scratch = await createScratchDatabase();
});
afterAll(async () => scratch?.drop());

async function script(name: string, args: string[] = []) {
  return run(process.execPath, ['--import', 'tsx', `scripts/${name}.ts`, ...args], {
    env: { ...process.env, DATABASE_URL: scratch.url, LOG_LEVEL: 'silent' },
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
}

describe('operator scripts', () => {
  it('npm run migrate reports the database up to date and exits by itself', async () => {
    const { stdout } = await script('migrate');
    expect(stdout).toContain('is up to date');
  }, 40_000);

  it('npm run verify checks the ledger and exits by itself', async () => {
    const { stdout } = await script('verify');
    expect(JSON.parse(stdout)).toMatchObject({ ok: true });
  }, 40_000);
});
