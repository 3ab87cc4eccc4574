/**
 * Ledger benchmark (npm run bench). In one run on this machine:
 *   1. pgbench's TPC-B-like tps and select-only tps against the same PostgreSQL, as the baseline;
 *   2. the real service (its own process, DB_POOL_MAX=10) driven over HTTP by autocannon:
 *      POST /v1/awards (fresh Idempotency-Key each, 10,000 volunteers, 50 connections) and
 *      GET /v1/volunteers/{id}/balance (volunteer tokens, 50 connections);
 *   3. a statement page on an account with 100,000 postings against one with 100.
 * Figures are reported as ratios to the baseline measured in the same run, never alone. Each of
 * the service's loads is first run unmeasured for BENCH_WARMUP_SECONDS: V8 compiles a code path
 * to optimised machine code only after it has run for a while, and on two cores the first seconds
 * of a path (about 5 s of reads run at three quarters of the steady rate) would otherwise be
 * averaged into a figure meant to say what the service sustains. pgbench, compiled C, needs none.
 *
 * With --analyze-empty, the benchmark first runs ANALYZE on the freshly migrated, still empty
 * database (what autovacuum does on a new deployment before the ledger fills), and goes on exactly
 * as a normal run: the ledger's tables (transactions, postings, idempotency keys) then carry
 * statistics saying they are empty while the load fills them, and the hot statements must keep
 * their key-lookup plans anyway (sql/0014_plans_and_counts.sql). Its figures should stay within 15%
 * of a normal run's; it writes ledger-analyze-empty.json and .md beside the normal ones. (Tables
 * that are never analyzed again at all, the seeded ones included, are test/plans.test.ts's case.)
 *
 * Environment: BENCH_SERVER_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_SECONDS (default 15), BENCH_WARMUP_SECONDS (default 5), BENCH_OUT (default bench-results), BENCH_STATEMENT_POSTINGS (the long
 * statement's length, default 100,000; smaller only for a quick trial run).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { createAccessTokens, loadAccessKeyRing } from '../src/tokens/access.js';

const serverUrl = process.env.BENCH_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const outDir = process.env.BENCH_OUT ?? 'bench-results';
const volunteerCount = 10_000;
const bigStatement = Number(process.env.BENCH_STATEMENT_POSTINGS ?? 100_000);
const analyzeEmpty = process.argv.includes('--analyze-empty');
const mode = analyzeEmpty ? 'analyze-empty' : 'normal';

function dbUrl(name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function pgArgs(name: string): string[] {
  const u = new URL(dbUrl(name));
  return ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'), name];
}

function pgbench(args: string[], name: string): number {
  const out = execFileSync('pgbench', [...args, ...pgArgs(name)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGPASSWORD: decodeURIComponent(new URL(serverUrl).password) } });
  const match = /tps = ([0-9.]+) \((without|excluding) initial connection time\)/.exec(out) ?? /tps = ([0-9.]+)/.exec(out);
  if (!match?.[1]) throw new Error(`cannot read pgbench output:\n${out}`);
  return Number(match[1]);
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

function rssOf(pid: number): number {
  try {
    const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' });
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb * 1024;
  } catch {
    return 0;
  }
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Runs a load unmeasured for warmupSeconds, then measured for `seconds`. */
async function load(opts: autocannon.Options): Promise<LoadResult> {
  if (warmupSeconds > 0) await autocannon({ ...opts, duration: warmupSeconds });
  const result = await autocannon({ ...opts, duration: seconds });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

async function main() {
  const stamp = Date.now();
  const benchDb = `jifen_bench_${stamp}`;
  const pgbenchDb = `jifen_pgbench_${stamp}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-bench-'));
  let child: ChildProcess | undefined;
  const results: Record<string, unknown> = { date: new Date().toISOString(), machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? ''}`.trim(), seconds, mode, loadAverage: os.loadavg() };
  try {
    await admin.unsafe(`create database ${pgbenchDb}`);
    await admin.unsafe(`create database ${benchDb}`);

    process.stderr.write('pgbench: initialising scale 10\n');
    execFileSync('pgbench', ['-i', '-q', '-s', '10', ...pgArgs(pgbenchDb)], { stdio: 'ignore' });
    process.stderr.write(`pgbench: TPC-B-like, 10 clients, 2 threads, ${seconds} s\n`);
    const tpcb = pgbench(['-c', '10', '-j', '2', '-T', String(seconds)], pgbenchDb);
    process.stderr.write(`pgbench: select-only, 10 clients, 2 threads, ${seconds} s\n`);
    const selectOnly = pgbench(['-S', '-c', '10', '-j', '2', '-T', String(seconds)], pgbenchDb);
    results.pgbench = { tpcbTps: tpcb, selectOnlyTps: selectOnly };

    const port = await freePort();
    const env = { ...process.env, DATABASE_URL: dbUrl(benchDb), DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DB_POOL_MAX: '10', RATE_LIMIT_PER_SECOND: '0' };
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    const base = `http://127.0.0.1:${port}`;
    await waitReady(base);

    const db = postgres(dbUrl(benchDb), { max: 2, onnotice: () => {} });
    if (analyzeEmpty) {
      process.stderr.write('analyze-empty: ANALYZE of the migrated, empty database\n');
      await db.unsafe('analyze');
    }

    // Seed through the database directly: 10,000 volunteers with their accounts, as the service's
    // registration would create them (the benchmark measures the ledger, not registration).
    const unitId = randomUUID();
    await db`insert into org_units (id, name, path, depth) values (${unitId}, 'bench', ${`/${unitId}/`}, 1)`;
    await db.unsafe(`
      insert into volunteers (id, name, org_unit_id)
      select gen_random_uuid(), 'bench ' || g, '${unitId}' from generate_series(1, ${volunteerCount}) g;
      insert into accounts (id, kind, owner_id) select id, 'volunteer', id from volunteers;
      insert into accounts (id, kind, owner_id) select ledger_account_id('held:' || id), 'held', id from volunteers;`);
    // The seeded tables only, as pgbench -i does for its own; the ledger tables stay as they are
    // (with --analyze-empty, analyzed while empty).
    await db.unsafe('vacuum analyze org_units, volunteers, accounts');
    const volunteerIds = (await db<{ id: string }[]>`select id from volunteers order by id`).map((r) => r.id);

    const config = loadConfig(env);
    const tokens = createAccessTokens(config, await loadAccessKeyRing(config));
    const adminToken = await tokens.mint({ role: 'admin', sub: 'bench' });

    process.stderr.write(`service: POST /v1/awards, 50 connections, ${seconds} s\n`);
    const rssBefore = rssOf(child.pid!);
    const awards = await load({
      url: base,
      connections: 50,
      requests: [
        {
          method: 'POST',
          path: '/v1/awards',
          setupRequest: (req) => ({
            ...req,
            headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body: JSON.stringify({ volunteerId: volunteerIds[Math.floor(Math.random() * volunteerIds.length)], points: 1 + Math.floor(Math.random() * 50), reason: 'bench' }),
          }),
        },
      ],
    });
    const rssAfterAwards = rssOf(child.pid!);

    const readers = volunteerIds.slice(0, 1000);
    const readerTokens = await Promise.all(readers.map((id) => tokens.mint({ role: 'volunteer', sub: id })));
    process.stderr.write(`service: GET /v1/volunteers/{id}/balance as the volunteer, 50 connections, ${seconds} s\n`);
    const balances = await load({
      url: base,
      connections: 50,
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => {
            const i = Math.floor(Math.random() * readers.length);
            return { ...req, path: `/v1/volunteers/${readers[i]}/balance`, headers: { authorization: `Bearer ${readerTokens[i]}` } };
          },
        },
      ],
    });

    process.stderr.write(`statement: building an account with ${bigStatement} postings\n`);
    const [big, small] = [volunteerIds[volunteerIds.length - 1]!, volunteerIds[volunteerIds.length - 2]!];
    // History is appended in batches of 500 per transaction: one transaction updating the same
    // account row 100,000 times would leave a chain of row versions that every later update walks.
    const build = async (volunteer: string, count: number) => {
      for (let done = 0; done < count; done += 500) {
        await db.unsafe(`
          select ledger_apply(jsonb_build_object(
            'transaction', jsonb_build_object('id', gen_random_uuid(), 'kind', 'award', 'memo', 'bench history', 'actorRole', 'admin', 'actorId', 'bench'),
            'postings', jsonb_build_array(
              jsonb_build_object('account', ledger_account_id('issuance:' || (i % 32)), 'amount', -1),
              jsonb_build_object('account', '${volunteer}'::uuid, 'amount', 1))))
          from generate_series(1, ${Math.min(500, count - done)}) i`);
      }
    };
    const current = async (volunteer: string) => Number((await db<{ n: string }[]>`select entry_count as n from accounts where id = ${volunteer}`)[0]?.n ?? 0);
    await build(big, bigStatement - (await current(big)));
    await build(small, 100 - (await current(small)));
    const timePages = async (volunteer: string) => {
      const samples: number[] = [];
      for (let i = 0; i < 300; i++) {
        const started = performance.now();
        const res = await fetch(`${base}/v1/volunteers/${volunteer}/ledger?limit=50`, { headers: { authorization: `Bearer ${adminToken}` } });
        await res.arrayBuffer();
        if (i >= 50) samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      return samples[Math.floor(samples.length / 2)]!;
    };
    await timePages(small);
    const smallMs = await timePages(small);
    const bigMs = await timePages(big);
    await db.end();

    results.awards = { ...awards, ratioToTpcb: awards.rps / tpcb, target: 0.5 };
    results.balanceReads = { ...balances, ratioToSelectOnly: balances.rps / selectOnly, target: 0.3 };
    results.statement = { postings: bigStatement, medianMsAt100: smallMs, medianMsAt100k: bigMs, ratio: bigMs / smallMs, target: 1.5 };
    results.memory = { rssBeforeAwardsMiB: rssBefore / 2 ** 20, rssAfterAwardsMiB: rssAfterAwards / 2 ** 20 };

    const fmt = (n: number, d = 2) => n.toFixed(d);
    const md = [
      `| measure | value | baseline (same run) | ratio | target |`,
      `| --- | --- | --- | --- | --- |`,
      `| awards/s (POST /v1/awards, 50 conns) | ${fmt(awards.rps, 0)} (p50 ${awards.p50} ms, p99 ${awards.p99} ms, non-2xx ${awards.non2xx}) | pgbench TPC-B ${fmt(tpcb, 0)} tps | ${fmt(awards.rps / tpcb)}× | ≥ 0.5× |`,
      `| balance reads/s (50 conns) | ${fmt(balances.rps, 0)} (p50 ${balances.p50} ms, p99 ${balances.p99} ms, non-2xx ${balances.non2xx}) | pgbench select-only ${fmt(selectOnly, 0)} tps | ${fmt(balances.rps / selectOnly)}× | ≥ 0.3× |`,
      `| statement page, ${bigStatement.toLocaleString('en')} vs 100 postings | ${fmt(bigMs)} ms vs ${fmt(smallMs)} ms (median) | — | ${fmt(bigMs / smallMs)} | ≤ 1.5 |`,
      `| service RSS before / after the award run | ${fmt(rssBefore / 2 ** 20, 0)} / ${fmt(rssAfterAwards / 2 ** 20, 0)} MiB | — | — | — |`,
    ].join('\n');
    await fs.mkdir(outDir, { recursive: true });
    const name = analyzeEmpty ? 'ledger-analyze-empty' : 'ledger';
    const loadAtEnd = os.loadavg().map((n) => n.toFixed(2)).join(' ');
    await fs.writeFile(path.join(outDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
    await fs.writeFile(path.join(outDir, `${name}.md`), `Ledger benchmark (${mode}), ${results.date}, ${results.machine}, ${seconds} s per load, load average at start ${(results.loadAverage as number[]).map((n) => n.toFixed(2)).join(' ')}, at end ${loadAtEnd}\n\n${md}\n`);
    process.stdout.write(`${md}\n`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await admin.unsafe(`drop database if exists ${benchDb} with (force)`);
    await admin.unsafe(`drop database if exists ${pgbenchDb} with (force)`);
    await admin.end();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
