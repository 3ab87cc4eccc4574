/**
 * Export memory benchmark (npm run bench:export). Proves that a streamed CSV export of a million
 * ledger postings runs in constant memory:
 *   1. creates a fresh database on a local PostgreSQL server, migrates it, and appends
 *      BENCH_EXPORT_POSTINGS postings (default 1,000,000) through ledger_apply, the ledger's one write
 *      path, 500 transactions per statement, spread over many volunteers and issuance shards (one
 *      statement never updates one account hundreds of times, which PostgreSQL makes quadratic);
 *   2. starts the real service as a child process (node --import tsx src/main.ts);
 *   3. streams GET /v1/reports/ledger-export?format=csv over HTTP, reading every byte, while sampling
 *      the child's resident set size (/proc/<pid>/status VmRSS) every 50 ms;
 *   4. prints rows, bytes, time and the peak RSS growth over the service's warmed-up baseline.
 *
 * Measured on 2 cores, 1,000,000 postings: with Node's default heap sizing the RSS peak is about
 * 94 MiB over the baseline, and a forced collection brings the heap straight back, so that figure
 * is garbage V8 lets accumulate before its first full collection, not rows kept; with a heap
 * ceiling (NODE_OPTIONS=--max-old-space-size=160, inherited by the child) V8 collects sooner and the
 * growth is about 19 MiB at the same speed. Production should run with such a ceiling.
 *
 * Environment: BENCH_SERVER_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_EXPORT_POSTINGS (default 1000000), BENCH_OUT (default bench-results).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createAccessTokens, loadAccessKeyRing } from '../src/tokens/access.js';

const serverUrl = process.env.BENCH_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const postingsWanted = Number(process.env.BENCH_EXPORT_POSTINGS ?? 1_000_000);
const outDir = process.env.BENCH_OUT ?? 'bench-results';
const volunteerCount = 4000;
/** Transactions per statement: each is one ledger_apply call with two postings. */
const perStatement = 500;
/** Writers in parallel, each with its own volunteers and issuance shards, so they never wait on each other's locks. */
const writers = 4;
const sampleMs = 50;

function dbUrl(name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitReady(base: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/readyz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('service did not become ready');
}

/** Resident set size of a process in bytes, read directly from /proc (no child process per sample). */
function rssOf(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return kb * 1024;
  } catch {
    return 0;
  }
}

const mib = (bytes: number) => bytes / 2 ** 20;

async function seed(url: string) {
  const db = postgres(url, { max: writers, onnotice: () => {} });
  try {
    const unitId = crypto.randomUUID();
    await db`insert into org_units (id, name, path, depth) values (${unitId}, 'bench', ${`/${unitId}/`}, 1)`;
    await db.unsafe(`
      insert into volunteers (id, name, org_unit_id)
      select gen_random_uuid(), '志愿者 ' || g, '${unitId}' from generate_series(1, ${volunteerCount}) g;
      insert into accounts (id, kind, owner_id) select id, 'volunteer', id from volunteers;
      insert into accounts (id, kind, owner_id) select ledger_account_id('held:' || id), 'held', id from volunteers;`);
    const statements = Math.ceil(postingsWanted / 2 / perStatement);
    const perWriter = volunteerCount / writers;
    let done = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let k = w; k < statements; k += writers) {
          // Writer w uses volunteers [w*perWriter, (w+1)*perWriter) and issuance shards w*8..w*8+7.
          await db.unsafe(`
            select ledger_apply_batch(jsonb_agg(jsonb_build_object(
              'transaction', jsonb_build_object('id', gen_random_uuid(), 'kind', 'award', 'memo', '社区清洁, 第 ' || i || ' 次', 'actorRole', 'admin', 'actorId', 'bench'),
              'postings', jsonb_build_array(
                jsonb_build_object('account', ledger_account_id('issuance:' || (${w * 8} + i % 8)), 'amount', -1),
                jsonb_build_object('account', v.ids[1 + ${w * perWriter} + ((${k * perStatement} + i) % ${perWriter})], 'amount', 1)))))
              from generate_series(1, ${perStatement}) i,
                   (select array_agg(id order by id) as ids from volunteers) v`);
          done += 1;
          if (done % 100 === 0) process.stderr.write(`seed: ${done * perStatement * 2} postings (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
        }
      }),
    );
    // A bulk load leaves the planner without statistics until autovacuum gets round to it; a
    // running ledger has them, so gather them now rather than measure plans made blind.
    await db`analyze`;
    const [count] = await db<{ n: string }[]>`select count(*) as n from ledger_postings`;
    return Number(count?.n ?? 0);
  } finally {
    await db.end();
  }
}

async function main() {
  const name = `jifen_export_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-export-'));
  let child: ChildProcess | undefined;
  try {
    await admin.unsafe(`create database ${name}`);
    const database = await openDatabase({ databaseUrl: dbUrl(name), dataDir, poolMax: 1 });
    await migrate(database);
    await database.close();
    process.stderr.write(`seed: ${postingsWanted} postings into ${name}\n`);
    const seeded = performance.now();
    const postings = await seed(dbUrl(name));
    const seedSeconds = (performance.now() - seeded) / 1000;

    const port = await freePort();
    const env = { ...process.env, DATABASE_URL: dbUrl(name), DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DB_POOL_MAX: '10', MIGRATE_ON_START: 'false', RATE_LIMIT_PER_SECOND: '0' };
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const base = `http://127.0.0.1:${port}`;
    await waitReady(base);
    const config = loadConfig(env);
    const tokens = createAccessTokens(config, await loadAccessKeyRing(config));
    const headers = { authorization: `Bearer ${await tokens.mint({ role: 'admin', sub: 'bench' })}` };

    // Warm up the code paths (routing, the report modules, the query plans) with a small export.
    for (let i = 0; i < 3; i++) await (await fetch(`${base}/v1/reports/ledger-export?from=2020-01-01&to=2020-01-31&format=csv`, { headers })).arrayBuffer();
    await (await fetch(`${base}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 1000));
    const pid = child.pid;
    if (!pid) throw new Error('child has no pid');
    const baseline = rssOf(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(pid));
    }, sampleMs);

    process.stderr.write('export: streaming the CSV\n');
    const started = performance.now();
    const res = await fetch(`${base}/v1/reports/ledger-export?format=csv`, { headers });
    if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}`);
    let bytes = 0;
    let lines = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (let i = 0; i < value.length; i++) if (value[i] === 0x0a) lines += 1;
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(pid));
    const rows = lines - 1;
    if (rows !== postings) throw new Error(`the export has ${rows} rows; the ledger has ${postings} postings`);

    const result = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      postings,
      seedSeconds: Number(seedSeconds.toFixed(1)),
      exportRows: rows,
      exportMiB: Number(mib(bytes).toFixed(1)),
      exportSeconds: Number(seconds.toFixed(1)),
      rowsPerSecond: Math.round(rows / seconds),
      rssBaselineMiB: Number(mib(baseline).toFixed(1)),
      rssPeakMiB: Number(mib(peak).toFixed(1)),
      rssGrowthMiB: Number(mib(peak - baseline).toFixed(1)),
      targetGrowthMiB: 50,
      nodeOptions: process.env.NODE_OPTIONS ?? '',
    };
    await fs.mkdir(outDir, { recursive: true });
    await fs.writeFile(path.join(outDir, 'export.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      `ledger export: ${rows} rows, ${result.exportMiB} MiB of CSV in ${result.exportSeconds} s (${result.rowsPerSecond} rows/s)\n` +
        `NODE_OPTIONS: ${result.nodeOptions || '(none)'}\n` +
        `service RSS: baseline ${result.rssBaselineMiB} MiB, peak ${result.rssPeakMiB} MiB, growth ${result.rssGrowthMiB} MiB (target < 50)\n`,
    );
    if (result.rssGrowthMiB >= 50) process.exitCode = 1;
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
