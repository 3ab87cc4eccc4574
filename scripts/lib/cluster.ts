/**
 * A throwaway PostgreSQL cluster of its own (initdb into a temporary directory, its own port and
 * socket directory), for fault tests that stop the database hard. The shared server that other
 * tests use is never touched: every pg_ctl call here names this cluster's own data directory.
 * When this process runs as root, initdb and pg_ctl run as the `postgres` OS user (PostgreSQL
 * refuses to run as root), with the directory handed over to it.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { freePort } from './service.js';

const run = promisify(execFile);

export interface Cluster {
  port: number;
  dir: string;
  /** URL of a database in this cluster (default the maintenance database `postgres`). */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  /**
   * `pg_ctl stop -m immediate`: every backend dies at once, no checkpoint (crash recovery on next
   * start); `-m fast`: clients are told the server is shutting down (57P01), their transactions
   * roll back, and it checkpoints before it exits, as `pg_ctlcluster stop -m fast` does.
   */
  stop(mode: 'immediate' | 'fast'): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster (if running) and deletes its directory. Safe to call twice. */
  destroy(): Promise<void>;
  log(): string;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(root, versions[0], 'bin');
  // Elsewhere (macOS, other distributions) initdb and pg_ctl are expected on PATH.
  return '';
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL program, as the postgres OS user when we are root. */
async function pgProgram(bin: string, program: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const exe = bin ? path.join(bin, program) : program;
  const [cmd, cmdArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
  try {
    const { stdout, stderr } = await run(cmd, cmdArgs, { timeout: timeoutMs, cwd: os.tmpdir() });
    return stdout + stderr;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message?: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${e.message ?? ''}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Clusters of this process still alive, stopped at exit even when a test or script failed. */
const live = new Set<{ bin: string; data: string }>();
process.once('exit', () => {
  for (const c of live) {
    const exe = c.bin ? path.join(c.bin, 'pg_ctl') : 'pg_ctl';
    const [cmd, args] = asRoot ? ['runuser', ['-u', 'postgres', '--', exe, '-D', c.data, '-m', 'immediate', 'stop']] : [exe, ['-D', c.data, '-m', 'immediate', 'stop']];
    try {
      execFileSync(cmd, args as string[], { stdio: 'ignore', timeout: 20_000 });
    } catch {
      // already stopped
    }
  }
});

export async function createCluster(): Promise<Cluster> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jifen-pg-'));
  const data = path.join(dir, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, uid, gid);
  }
  const port = await freePort();
  await pgProgram(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  // Small and quiet: this cluster lives for one test run. fsync stays on, so "acknowledged" means
  // what it means in production; listen only on loopback.
  fs.appendFileSync(
    path.join(data, 'postgresql.conf'),
    ["listen_addresses = '127.0.0.1'", `port = ${port}`, `unix_socket_directories = '${dir}'`, 'max_connections = 100', 'shared_buffers = 64MB', 'log_min_messages = warning', ''].join('\n'),
  );
  const handle = { bin, data };
  let running = false;
  const cluster: Cluster = {
    port,
    dir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const admin = postgres(cluster.url(), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`create database ${name}`);
      } finally {
        await admin.end();
      }
      return cluster.url(name);
    },
    async start() {
      live.add(handle);
      await pgProgram(bin, 'pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '90', 'start']);
      running = true;
    },
    async stop(mode) {
      await pgProgram(bin, 'pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    async destroy() {
      if (running || fs.existsSync(path.join(data, 'postmaster.pid'))) {
        try {
          await pgProgram(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], 30_000);
        } catch {
          // not running
        }
      }
      running = false;
      live.delete(handle);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    log: () => {
      try {
        return fs.readFileSync(path.join(dir, 'log'), 'utf8').slice(-5000);
      } catch {
        return '';
      }
    },
  };
  try {
    await cluster.start();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
