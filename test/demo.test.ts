import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv } from '../scripts/lib/service.js';
import { killAll, watch } from './support/process.js';

/**
 * npm run demo, as a newcomer runs it: a fresh data folder, seeded, served, and the tokens it
 * prints (and writes to demo.env) working against the service it started. Then the refusals that
 * keep it from clobbering anything.
 */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-demo-test-'));
afterAll(async () => {
  killAll();
  await fs.rm(parent, { recursive: true, force: true });
});

const demo = (args: string[]) =>
  watch(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', ...args], { cwd: repoRoot, env: childEnv({ PORT: '0', LOG_LEVEL: 'warn' }) });

/** Reads `export NAME='value'` pairs the way a shell sourcing demo.env would. */
function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/([A-Z_]+)='([^']*)'/g)) vars[name!] = value!;
  return vars;
}

describe('npm run demo', () => {
  const dataDir = path.join(parent, 'demo-data');

  it('seeds a fresh embedded programme, serves it, and prints the address, the docs page and working tokens', async () => {
    const run = demo(['--data-dir', dataDir, '--volunteers', '12', '--activities', '6']);
    try {
      const [, url] = await run.waitFor(/The demo programme is running at (http:\/\/localhost:\d+)/, 180_000);
      await run.waitFor(/serves this demo again/, 5_000);
      const out = run.output();
      expect(out).toContain(`API reference: ${url}/docs`);
      for (const who of ['programme office (admin)', 'organiser ', 'volunteer ', 'shop ']) expect(out).toContain(who);

      const env = parseEnvFile(await fs.readFile(path.join(dataDir, 'demo.env'), 'utf8'));
      expect(env.JIFEN).toBe(url);
      expect((await fs.stat(path.join(dataDir, 'demo.env'))).mode & 0o077).toBe(0);
      // Every printed token is one of the four, and each works as its person.
      for (const name of ['ADMIN', 'ORGANISER', 'VOLUNTEER', 'SHOP']) expect(out).toContain(env[name]);
      const get = async (route: string, token: string) => {
        const res = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status, `${route}: ${await res.clone().text()}`).toBe(200);
        return res.json() as Promise<any>;
      };
      expect(await get('/v1/ledger/verify', env.ADMIN!)).toMatchObject({ ok: true });
      expect(await get(`/v1/volunteers/${env.VOLUNTEER_ID}/balance`, env.VOLUNTEER!)).toMatchObject({ volunteerId: env.VOLUNTEER_ID });
      expect((await get(`/v1/volunteers/${env.VOLUNTEER_ID}`, env.ORGANISER!)).id).toBe(env.VOLUNTEER_ID);
      expect((await get(`/v1/merchants/${env.SHOP_ID}/settlement`, env.SHOP!)).merchantId).toBe(env.SHOP_ID);
      expect((await fetch(`${url}/docs`)).status).toBe(200);
      // The printed sign-in link opens a session for the volunteer it names.
      const link = /volunteer {9}(http\S+)/.exec(out)?.[1];
      expect(link, out).toMatch(new RegExp(`^${url}/app/sign-in\\?code=`));
      const signIn = await fetch(`${url}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: new URL(link!).searchParams.get('code') }) });
      expect(signIn.status).toBe(201);
      expect(((await signIn.json()) as { principal: { id: string } }).principal.id).toBe(env.VOLUNTEER_ID);
    } finally {
      // SIGTERM reaches the demo, which passes it on to the service and exits with its status.
      expect((await run.stop()).code, run.output()).toBe(0);
    }
  }, 240_000);

  it('refuses to touch an existing demo folder without --force, saying how to serve or replace it', async () => {
    const run = demo(['--data-dir', dataDir]);
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.output()).toContain('already exists');
    expect(run.output()).toContain(`DATA_DIR=${dataDir} npm start`);
    expect(run.output()).toContain('--force');
    await expect(fs.stat(path.join(dataDir, 'demo.env'))).resolves.toBeTruthy();
  });

  it('with --force, still refuses a folder that an earlier demo did not make', async () => {
    const precious = path.join(parent, 'precious');
    await fs.mkdir(precious);
    await fs.writeFile(path.join(precious, 'notes.txt'), 'keep me');
    const run = demo(['--data-dir', precious, '--force']);
    expect((await run.exited).code).toBe(1);
    expect(run.output()).toContain('not a folder npm run demo made');
    expect(await fs.readFile(path.join(precious, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});
