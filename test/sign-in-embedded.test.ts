import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { envSchema } from '../src/config.js';
import { killAll, watch } from './support/process.js';

/**
 * Sign-in on the embedded default, as an operator starts it: `npm run sign-in-code` on a fresh
 * DATA_DIR (written straight to PGlite), then the real service on that folder, signing in with the
 * link's code and acting with the cookie; then the script again while the service owns the
 * database (it asks the service instead).
 */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  killAll();
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(envSchema.shape)) delete base[name];
  return { ...base, LOG_LEVEL: 'silent', HOST: '127.0.0.1', ...extra };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function signInCode(settings: Record<string, string>, role: string, sub: string): Promise<{ url: string; stderr: string }> {
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/sign-in-code.ts', '--role', role, '--sub', sub], {
    cwd: repoRoot,
    env: env(settings),
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  return { url: stdout.trim(), stderr };
}

describe('sign-in on the embedded database', () => {
  it('the script prints a link before and while the service runs; the code signs in and the cookie acts', { timeout: 180_000 }, async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-sign-in-'));
    dirs.push(dataDir);
    const port = await freePort();
    const settings = { DATA_DIR: dataDir, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` };

    const first = await signInCode(settings, 'admin', 'office');
    expect(first.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/app/sign-in\\?code=[2-9A-HJKMNP-Z]{8}$`));
    expect(first.stderr).toContain('single use');

    const service = watch(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repoRoot, env: env({ ...settings, LOG_LEVEL: 'info' }) });
    await service.waitFor(/"msg":"listening"/, 60_000);
    const base = `http://127.0.0.1:${port}`;
    const signIn = async (url: string) => {
      const res = await fetch(`${base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: new URL(url).searchParams.get('code') }) });
      const body = (await res.json()) as { principal: unknown };
      expect(res.status, JSON.stringify(body)).toBe(201);
      return { body, cookie: /jifen_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]! };
    };
    const office = await signIn(first.url);
    expect(office.body.principal).toEqual({ role: 'admin', id: 'office', name: 'office' });
    const unit = await fetch(`${base}/v1/org-units`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `jifen_session=${office.cookie}`, origin: base },
      body: JSON.stringify({ name: 'embedded sign-in district' }),
    });
    expect(unit.status).toBe(201);

    // While the service owns the embedded database, the script asks the service.
    const second = await signInCode(settings, 'admin', 'office');
    const again = await signIn(second.url);
    const sessions = await fetch(`${base}/v1/sessions`, { headers: { cookie: `jifen_session=${again.cookie}` } });
    const list = (await sessions.json()) as { items: { current: boolean }[] };
    expect(list.items).toHaveLength(2);
    expect(list.items.filter((s) => s.current)).toHaveLength(1);
    // A code in the sign-in page's query string, or a refused one in a body, is not logged either.
    await (await fetch(`${base}/app/sign-in?code=QRSTUVWX`)).text();
    await (await fetch(`${base}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code":"MNPQRSTU"}' })).text();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const log = service.output();
    expect(log).toContain('/app/sign-in');
    for (const secret of [first.url.slice(-8), second.url.slice(-8), office.cookie, again.cookie, 'QRSTUVWX', 'MNPQRSTU']) expect(log).not.toContain(secret);
    expect(await service.stop()).toMatchObject({ code: 0 });
  });
});
