import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { childEnv, freePort } from '../scripts/lib/service.js';
import { killAll, watch } from './support/process.js';

/**
 * How the service starts, as people and machines start it: `npm start` in a terminal (one readable
 * line), under a supervisor (JSON only), in production (JSON only, terminal or not), and compiled
 * to JavaScript the way the container image runs it.
 */

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const startTimeoutMs = 60_000;
const greeting = /jifen is serving http:\/\/localhost:(\d+) \(API reference: http:\/\/localhost:\1\/docs; PostgreSQL at [^)]+\)\. Ctrl-C stops it\./;
const tempDirs: string[] = [];

afterAll(async () => {
  killAll();
  await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

/** The service on this run's database (which global set-up has migrated), with keys in a folder of its own. */
async function serviceEnv(env: Record<string, string> = {}) {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-start-'));
  tempDirs.push(dataDir);
  return childEnv({ DATABASE_URL: inject('databaseUrl'), DATA_DIR: dataDir, MIGRATE_ON_START: 'false', SWEEPER_INTERVAL_MS: '0', PORT: '0', ...env });
}

/** `script` runs a command on a pseudo-terminal: stdout is a TTY, as when a person types npm start. */
const inTerminal = (command: string, env: NodeJS.ProcessEnv) => watch('script', ['-qfec', command, '/dev/null'], { cwd: repoRoot, env });
const startCommand = `${process.execPath} --import tsx src/main.ts`;

/** Lines of output that are not pino's JSON. */
function nonJsonLines(output: string): string[] {
  return output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => {
      if (!line) return false;
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
}

describe('npm start', () => {
  it('in a terminal, prints one readable line with the address and the API reference, beside the JSON log', async () => {
    const service = inTerminal(startCommand, await serviceEnv());
    try {
      const [line, port] = await service.waitFor(greeting, startTimeoutMs);
      await service.waitFor(/"msg":"listening"/, 5_000);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/docs`)).status).toBe(200);
      expect(nonJsonLines(service.output()), service.output()).toEqual([line]);
    } finally {
      await service.stop();
    }
  });

  it('with stdout not a terminal, writes only JSON log lines', async () => {
    const service = watch(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: repoRoot, env: await serviceEnv() });
    try {
      const [, port] = await service.waitFor(/"port":(\d+)[^\n]*"msg":"listening"/, startTimeoutMs);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
    expect(nonJsonLines(service.output()), service.output()).toEqual([]);
  });

  it('with NODE_ENV=production, writes only JSON log lines even in a terminal', async () => {
    const service = inTerminal(startCommand, await serviceEnv({ NODE_ENV: 'production' }));
    try {
      const [, port] = await service.waitFor(/"port":(\d+)[^\n]*"msg":"listening"/, startTimeoutMs);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      await service.waitFor(/"path":"\/healthz"/, 5_000);
      // Read before stopping: `script` says something of its own when its session is killed.
      expect(nonJsonLines(service.output()), service.output()).toEqual([]);
    } finally {
      await service.stop();
    }
  });
});

describe('npm run build', () => {
  it('compiles to dist/, copies non-TypeScript files under src/, and the compiled service runs from dist/', async () => {
    // An asset of the kind pages keep under src/, to prove the copy takes whatever is there.
    const probeDir = path.join(repoRoot, 'src', `.build-probe-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(probeDir);
    try {
      await fs.writeFile(path.join(probeDir, 'probe.css'), 'body { margin: 0 }\n');
      await run(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, timeout: 240_000 });
      expect(await fs.readFile(path.join(repoRoot, 'dist', 'src', path.basename(probeDir), 'probe.css'), 'utf8')).toBe('body { margin: 0 }\n');
    } finally {
      await fs.rm(probeDir, { recursive: true, force: true });
    }
    for (const file of ['src/main.js', 'src/db/migrate.js', 'scripts/token.js', 'scripts/migrate.js', 'scripts/keys.js', 'scripts/verify.js']) {
      await expect(fs.stat(path.join(repoRoot, 'dist', file)), `dist/${file}`).resolves.toBeTruthy();
    }

    // Embedded database in a fresh folder: the compiled code must find sql/ to migrate it.
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-dist-'));
    tempDirs.push(dataDir);
    const port = await freePort();
    const env = childEnv({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'production' });
    const service = watch(process.execPath, [path.join(repoRoot, 'dist/src/main.js')], { cwd: os.tmpdir(), env });
    try {
      await service.waitFor(/"msg":"listening"/, startTimeoutMs);
      expect(service.output()).toContain('0013_write_group_lock_index_scans.sql');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      // The compiled operator script mints a token the compiled service accepts.
      const { stdout } = await run(process.execPath, [path.join(repoRoot, 'dist/scripts/token.js'), '--role', 'admin', '--sub', 'ops'], { cwd: os.tmpdir(), env });
      const verify = await fetch(`http://127.0.0.1:${port}/v1/ledger/verify`, { headers: { authorization: `Bearer ${stdout.trim()}` } });
      expect(verify.status).toBe(200);
      expect(await verify.json()).toMatchObject({ ok: true });
    } finally {
      expect((await service.stop()).code, service.output()).toBe(0);
    }
  }, 300_000);

  // After the build above: the image's build stage is this repository after npm ci and npm run build.
  it('leaves the Dockerfile nothing to copy that is missing, and runs compiled output as a non-root user', async () => {
    const dockerfile = await fs.readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const ignored = (await fs.readFile(path.join(repoRoot, '.dockerignore'), 'utf8')).split('\n').map((line) => line.trim());
    const copies = [...dockerfile.matchAll(/^COPY\s+(.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/));
    expect(copies.length).toBeGreaterThan(5);
    for (const words of copies) {
      const fromStage = words[0]?.startsWith('--from=');
      const sources = words.slice(fromStage ? 1 : 0, -1);
      for (const source of sources) {
        if (words[0] === '--from=prod-deps') continue;
        const relative = fromStage ? source.replace(/^\/app\//, '') : source;
        if (!fromStage) expect(ignored, `Dockerfile copies ${source}, which .dockerignore leaves out`).not.toContain(relative);
        await expect(fs.stat(path.join(repoRoot, relative)), `Dockerfile copies ${source}`).resolves.toBeTruthy();
      }
    }
    const cmd = /^CMD\s+(\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    const argv = JSON.parse(cmd!) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.join(' ')).not.toMatch(/tsx/);
    await expect(fs.stat(path.join(repoRoot, argv[argv.length - 1]!))).resolves.toBeTruthy();
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });
});
