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

  it('npm run sign-in-code prints a sign-in link on PostgreSQL and refuses a bad role', async () => {
    const { stdout, stderr } = await script('sign-in-code', ['--role', 'admin', '--sub', 'office']);
    expect(stdout.trim()).toMatch(/^http:\/\/localhost:3000\/app\/sign-in\?code=[2-9A-HJKMNP-Z]{8}$/);
    expect(stderr).toContain('valid until');
    await expect(script('sign-in-code', ['--role', 'king', '--sub', 'office'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('usage') });
    await expect(script('sign-in-code', ['--role', 'volunteer', '--sub', '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('volunteer not found') });
  }, 60_000);
});
