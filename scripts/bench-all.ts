/**
 * Every benchmark in one go (npm run bench): runs, one after another and each as its own process
 * (`node --import tsx`), so one's memory and connections never colour the next:
 *   scripts/bench.ts             ledger: pgbench baseline, awards/s, balance reads/s, statement paging;
 *   scripts/bench.ts --analyze-empty  the same after ANALYZE of the empty database (ledger-analyze-empty),
 *                                then compared with the normal run: it should stay within 15% of it;
 *   scripts/bench-records.ts     a 1,000-row bulk entry of service records;
 *   scripts/bench-redemptions.ts claim-then-redeem pairs against awards;
 *   scripts/bench-export.ts      streamed CSV export of a million postings, and the memory it takes.
 * Each writes its JSON into BENCH_OUT; this script then writes summary.json and summary.md there:
 * one table with the pgbench baseline, the ratios, latencies and memory, with the date and machine.
 * A benchmark that fails is reported as failed and the others still run; the exit code is then 1.
 *
 * Environment: BENCH_SERVER_URL (default postgres://postgres@127.0.0.1:5432/postgres), BENCH_OUT
 * (default bench-results), BENCH_ONLY (comma-separated subset: ledger,ledger-analyze-empty,records,redemptions,export),
 * BENCH_QUICK=1 (a short trial run of everything, a few minutes, written to BENCH_OUT/quick unless
 * BENCH_OUT is set; its figures are not comparable with a full run). Rate limiting is turned off
 * (RATE_LIMIT_PER_SECOND=0) for every service a benchmark starts.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { repoRoot } from './lib/service.js';

const serverUrl = process.env.BENCH_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const quick = process.env.BENCH_QUICK === '1';
const outDir = path.resolve(repoRoot, process.env.BENCH_OUT ?? (quick ? 'bench-results/quick' : 'bench-results'));
const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

/** Settings of a quick trial run; anything set in the environment wins. */
const quickSettings: Record<string, string> = {
  BENCH_SECONDS: '3',
  BENCH_STATEMENT_POSTINGS: '2000',
  BENCH_REPETITIONS: '2',
  BENCH_ROWS: '200',
  BENCH_EXPORT_POSTINGS: '20000',
};

interface Bench {
  name: 'ledger' | 'ledger-analyze-empty' | 'records' | 'redemptions' | 'export';
  script: string;
  args?: string[];
  output: string;
}

const benches: Bench[] = [
  { name: 'ledger', script: 'scripts/bench.ts', output: 'ledger.json' },
  { name: 'ledger-analyze-empty', script: 'scripts/bench.ts', args: ['--analyze-empty'], output: 'ledger-analyze-empty.json' },
  { name: 'records', script: 'scripts/bench-records.ts', output: 'records.json' },
  { name: 'redemptions', script: 'scripts/bench-redemptions.ts', output: 'redemptions.json' },
  { name: 'export', script: 'scripts/bench-export.ts', output: 'export.json' },
];

interface Run {
  name: string;
  script: string;
  exitCode: number | null;
  seconds: number;
  result: Record<string, any> | null;
}

async function runOne(bench: Bench, env: NodeJS.ProcessEnv): Promise<Run> {
  const started = performance.now();
  const file = path.join(outDir, bench.output);
  await fs.rm(file, { force: true });
  process.stderr.write(`\n=== ${bench.name}: node --import tsx ${[bench.script, ...(bench.args ?? [])].join(' ')}\n`);
  const exitCode = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', bench.script, ...(bench.args ?? [])], { cwd: repoRoot, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  let result: Record<string, any> | null = null;
  try {
    result = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, any>;
  } catch {
    result = null;
  }
  return { name: bench.name, script: bench.script, exitCode, seconds: Math.round((performance.now() - started) / 1000), result };
}

function capture(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function machine() {
  let postgresVersion = 'unknown';
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    postgresVersion = String((await sql<{ v: string }[]>`select current_setting('server_version') as v`)[0]?.v ?? 'unknown');
  } catch {
    // reported as unknown
  } finally {
    await sql.end({ timeout: 1 });
  }
  return {
    hostname: os.hostname(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: postgresVersion,
    pgbench: capture('pgbench', ['--version']),
  };
}

interface Row {
  benchmark: string;
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
  latency: string;
  memory: string;
}

const n = (x: unknown, digits = 0) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '—');

function rowsFor(run: Run): Row[] {
  const r = run.result;
  const failed = run.exitCode !== 0 ? ` (exit ${String(run.exitCode)})` : '';
  if (!r) return [{ benchmark: run.name, measure: `failed${failed}, no result written`, value: '—', baseline: '—', ratio: '—', target: '—', met: false, latency: '—', memory: '—' }];
  switch (run.name) {
    case 'ledger':
    case 'ledger-analyze-empty': {
      const tpcb = r.pgbench?.tpcbTps;
      const sel = r.pgbench?.selectOnlyTps;
      return [
        {
          benchmark: run.name,
          measure: `awards/s (POST /v1/awards, 50 connections)${failed}`,
          value: n(r.awards?.rps),
          baseline: `pgbench TPC-B ${n(tpcb)} tps`,
          ratio: `${n(r.awards?.ratioToTpcb, 2)}×`,
          target: '≥ 0.5×',
          met: typeof r.awards?.ratioToTpcb === 'number' ? r.awards.ratioToTpcb >= 0.5 : null,
          latency: `${n(r.awards?.p50)} / ${n(r.awards?.p99)} ms`,
          memory: `RSS ${n(r.memory?.rssBeforeAwardsMiB)} → ${n(r.memory?.rssAfterAwardsMiB)} MiB`,
        },
        {
          benchmark: run.name,
          measure: 'balance reads/s (GET …/balance, 50 connections)',
          value: n(r.balanceReads?.rps),
          baseline: `pgbench select-only ${n(sel)} tps`,
          ratio: `${n(r.balanceReads?.ratioToSelectOnly, 2)}×`,
          target: '≥ 0.3×',
          met: typeof r.balanceReads?.ratioToSelectOnly === 'number' ? r.balanceReads.ratioToSelectOnly >= 0.3 : null,
          latency: `${n(r.balanceReads?.p50)} / ${n(r.balanceReads?.p99)} ms`,
          memory: '—',
        },
        {
          benchmark: run.name,
          measure: `statement page, ${n(r.statement?.postings ?? 100_000)} vs 100 postings`,
          value: `${n(r.statement?.medianMsAt100k, 2)} vs ${n(r.statement?.medianMsAt100, 2)} ms`,
          baseline: 'the 100-posting page',
          ratio: `${n(r.statement?.ratio, 2)}×`,
          target: '≤ 1.5×',
          met: typeof r.statement?.ratio === 'number' ? r.statement.ratio <= 1.5 : null,
          latency: `median ${n(r.statement?.medianMsAt100k, 2)} ms`,
          memory: '—',
        },
      ];
    }
    case 'records':
      return [
        {
          benchmark: 'records',
          measure: `bulk entry, ${n(r.rows)} records in one request${failed}`,
          value: `median ${n(r.medianMs)} ms (min ${n(r.minMs)}, max ${n(r.maxMs)}; ${n(r.repetitions)} runs)`,
          baseline: '—',
          ratio: `${n(typeof r.medianMs === 'number' && r.rows ? (r.rows / r.medianMs) * 1000 : undefined)} records/s`,
          target: '—',
          met: r.ledgerVerified === false ? false : null,
          latency: `${n(r.medianMs)} / ${n(r.maxMs)} ms (median / max)`,
          memory: '—',
        },
      ];
    case 'redemptions':
      return [
        {
          benchmark: 'redemptions',
          measure: `claim-then-redeem pairs/s, ${n(r.concurrency)} clients${failed}`,
          value: n(r.pairs?.rate),
          baseline: `awards ${n(r.awards?.rate)}/s (same run; p50/p99 ${n(r.awards?.p50Ms)} / ${n(r.awards?.p99Ms)} ms)`,
          ratio: `${n(r.ratio, 2)}×`,
          target: '≥ 0.4×',
          met: typeof r.ratio === 'number' ? r.ratio >= 0.4 && r.ledgerVerified !== false : null,
          latency: `${n(r.pairs?.p50Ms)} / ${n(r.pairs?.p99Ms)} ms per pair`,
          memory: '—',
        },
      ];
    case 'export':
      return [
        {
          benchmark: 'export',
          measure: `streamed CSV export of ${n(r.postings)} postings${failed}`,
          value: `${n(r.rowsPerSecond)} rows/s (${n(r.exportMiB, 1)} MiB in ${n(r.exportSeconds, 1)} s)`,
          baseline: `service RSS at rest ${n(r.rssBaselineMiB, 1)} MiB`,
          ratio: `+${n(r.rssGrowthMiB, 1)} MiB`,
          target: `< ${n(r.targetGrowthMiB ?? 50)} MiB growth`,
          met: typeof r.rssGrowthMiB === 'number' ? r.rssGrowthMiB < (r.targetGrowthMiB ?? 50) : null,
          latency: `${n(r.exportSeconds, 1)} s for the whole export`,
          memory: `RSS peak ${n(r.rssPeakMiB, 1)} MiB`,
        },
      ];
    default:
      return [];
  }
}

/**
 * The run after ANALYZE of the empty database against the normal run: plans that do not depend on
 * statistics keep its ratios (each to its own run's pgbench baseline) within 15% of the normal run's.
 */
function analyzeEmptyRows(runs: Run[]): Row[] {
  const normal = runs.find((r) => r.name === 'ledger')?.result;
  const empty = runs.find((r) => r.name === 'ledger-analyze-empty')?.result;
  if (!normal || !empty) return [];
  const compare = (measure: string, a: unknown, b: unknown): Row => {
    const ratio = typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : undefined;
    return {
      benchmark: 'ledger-analyze-empty',
      measure,
      value: `${n(a, 2)}× vs ${n(b, 2)}×`,
      baseline: 'the normal run’s ratio',
      ratio: `${n(ratio, 2)}×`,
      target: '≥ 0.85×',
      met: ratio === undefined ? null : ratio >= 0.85,
      latency: '—',
      memory: '—',
    };
  };
  return [
    compare('awards: ratio to TPC-B, analyzed empty vs normal', empty.awards?.ratioToTpcb, normal.awards?.ratioToTpcb),
    compare('balance reads: ratio to select-only, analyzed empty vs normal', empty.balanceReads?.ratioToSelectOnly, normal.balanceReads?.ratioToSelectOnly),
  ];
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  await fs.mkdir(outDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...(quick ? quickSettings : {}),
    ...process.env,
    BENCH_SERVER_URL: serverUrl,
    // bench-records.ts names its server with DATABASE_URL.
    DATABASE_URL: serverUrl,
    BENCH_OUT: outDir,
    RATE_LIMIT_PER_SECOND: '0',
  };
  const selected = benches.filter((b) => only.length === 0 || only.includes(b.name));
  const runs: Run[] = [];
  for (const bench of selected) runs.push(await runOne(bench, env));

  const host = await machine();
  const rows = [...runs.flatMap(rowsFor), ...analyzeEmptyRows(runs)];
  const summary = { date, quick, machine: host, runs, rows };
  await fs.writeFile(path.join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const md = [
    `# jifen benchmarks${quick ? ' (quick trial run: not comparable with a full run)' : ''}`,
    '',
    `Run ${date} on ${host.hostname}: ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, ${host.os}; Node ${host.node}; PostgreSQL ${host.postgres}; ${host.pgbench}.`,
    'Ratios are to baselines measured in the same run on the same machine; latencies are p50 / p99 unless stated.',
    '',
    '| benchmark | measure | result | baseline (same run) | ratio | target | met | latency | memory |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${[r.benchmark, r.measure, r.value, r.baseline, r.ratio, r.target, r.met === null ? '—' : r.met ? 'yes' : 'NO', r.latency, r.memory].map(cell).join(' | ')} |`),
    '',
    `Runs: ${runs.map((r) => `${r.name} ${r.seconds} s${r.exitCode === 0 ? '' : ` (exit ${String(r.exitCode)})`}`).join(', ')}. Details in ${runs.map((r) => benches.find((b) => b.name === r.name)?.output).join(', ')}.`,
    '',
  ].join('\n');
  await fs.writeFile(path.join(outDir, 'summary.md'), md);
  process.stdout.write(`\n${md}`);
  process.stderr.write(`written: ${path.join(outDir, 'summary.md')} and summary.json\n`);
  if (runs.some((r) => r.exitCode !== 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
