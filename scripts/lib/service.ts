/**
 * Runs the real entry point (`node --import tsx src/main.ts` as `npm start` does, or the compiled
 * dist/src/main.js) as a child process, for the fault scripts and their tests: start and wait for
 * readiness, kill -9, restart on the same port, and mint tokens the running configuration accepts
 * (same DATA_DIR, same keys).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { envSchema, loadConfig } from '../../src/config.js';
import { createAccessTokens, loadAccessKeyRing, type Role } from '../../src/tokens/access.js';
import { sleep } from './http.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Children still running, so a caller can kill them all on the way out, even after a failure. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The caller's environment without any jifen setting (none may leak into the child), plus the given ones. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(envSchema.shape)) delete base[name];
  return { ...base, ...env };
}

export interface ServiceProcess {
  child: ChildProcess;
  baseUrl: string;
  port: number;
  /** The last 20,000 characters of stdout and stderr, for failure messages. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

/** How `npm start` runs the service: TypeScript through tsx. The compiled form is ['dist/src/main.js']. */
export const sourceEntry = ['--import', 'tsx', 'src/main.ts'];

export function launchService(env: Record<string, string>, entry: string[] = sourceEntry): ServiceProcess {
  const port = Number(env.PORT);
  const child = spawn(process.execPath, entry, { cwd: repoRoot, env: childEnv({ HOST: '127.0.0.1', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  const keep = (chunk: string) => {
    out = (out + chunk).slice(-20_000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, baseUrl: `http://127.0.0.1:${port}`, port, output: () => out, exited, alive: () => !done };
}

/** Polls /readyz until it answers 200; fails early, with the child's output, if the child exits. */
export async function waitReady(service: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!service.alive()) throw new Error(`service exited before it was ready:\n${service.output()}`);
    try {
      const res = await fetch(`${service.baseUrl}/readyz`, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`service was not ready within ${timeoutMs} ms:\n${service.output()}`);
}

export async function startService(env: Record<string, string>, timeoutMs?: number, entry?: string[]): Promise<ServiceProcess> {
  const service = launchService(env, entry);
  try {
    await waitReady(service, timeoutMs);
  } catch (error) {
    await killService(service);
    throw error;
  }
  return service;
}

/** kill -9, and wait until the process is gone. */
export async function killService(service: ServiceProcess): Promise<void> {
  if (service.alive()) service.child.kill('SIGKILL');
  await service.exited;
}

/** SIGTERM (graceful drain); SIGKILL if it has not exited within `graceMs`. */
export async function stopService(service: ServiceProcess, graceMs = 15_000): Promise<void> {
  if (!service.alive()) return;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  await service.exited;
  clearTimeout(timer);
}

export async function stopAllServices(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }),
  );
}

/** Mints access tokens with the keys in the service's DATA_DIR (generated on its first start). */
export async function tokenMinter(env: Record<string, string>): Promise<(role: Role, sub: string) => Promise<string>> {
  const config = loadConfig({ DATA_DIR: env.DATA_DIR, ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}) });
  const tokens = createAccessTokens(config, await loadAccessKeyRing(config));
  return (role, sub) => tokens.mint({ role, sub });
}
