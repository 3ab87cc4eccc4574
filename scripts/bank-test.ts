/**
 * The bank test (npm run bank-test): many concurrent clients move points over HTTP while readers sum
 * every balance; at the end the ledger must verify and every acknowledged write must be in it. The
 * workload and its checks are in scripts/lib/bank.ts and speak only HTTP.
 *
 * Two ways to run it:
 *   - against running instances: --url http://a:3000,http://b:3000 (or BANK_URL). Tokens are minted
 *     like `npm run token`, from this environment, so give it the same key settings (DATA_DIR or
 *     ACCESS_TOKEN_*) as the servers, and run them with RATE_LIMIT_PER_SECOND=0;
 *   - on its own (no --url): it creates a fresh database on BANK_SERVER_URL (default the local
 *     server, postgres://postgres@127.0.0.1:5432/postgres), starts --instances service processes
 *     (node --import tsx src/main.ts, rate limiting off) on it, runs, stops them and drops the database.
 *
 * Options (flag or environment): --duration / BANK_SECONDS (default 60), --clients / BANK_CLIENTS
 * (default 16), --readers / BANK_READERS (2), --volunteers / BANK_VOLUNTEERS (10), --instances /
 * BANK_INSTANCES (1), --seed / BANK_SEED, --json (print the full report as JSON too).
 * Exits 1 when any invariant was broken.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { createAccessTokens, loadAccessKeyRing } from '../src/tokens/access.js';
import { formatBankReport, runBank, type BankReport } from './lib/bank.js';
import { freePort, startService, stopService, tokenMinter, type ServiceProcess } from './lib/service.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    duration: { type: 'string' },
    clients: { type: 'string' },
    readers: { type: 'string' },
    volunteers: { type: 'string' },
    instances: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  },
});

function setting(flag: string | undefined, env: string, fallback: number): number {
  const text = flag ?? process.env[env];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${env}: expected a whole number, got ${text}`);
  return n;
}

const durationSeconds = setting(values.duration, 'BANK_SECONDS', 60);
const clients = setting(values.clients, 'BANK_CLIENTS', 16);
const readers = setting(values.readers, 'BANK_READERS', 2);
const volunteers = setting(values.volunteers, 'BANK_VOLUNTEERS', 10);
const instances = setting(values.instances, 'BANK_INSTANCES', 1);
const seedText = values.seed ?? process.env.BANK_SEED;
const log = (line: string) => process.stderr.write(`${line}\n`);

async function againstRunning(urls: string[]): Promise<BankReport> {
  const config = loadConfig();
  const tokens = createAccessTokens(config, await loadAccessKeyRing(config));
  return runBank({
    baseUrls: urls,
    adminToken: await tokens.mint({ role: 'admin', sub: 'bank-test' }),
    mintToken: (role, sub) => tokens.mint({ role, sub }),
    durationSeconds,
    clients,
    readers,
    volunteers,
    ...(seedText ? { seed: Number(seedText) } : {}),
    log,
  });
}

async function onItsOwn(): Promise<BankReport> {
  const serverUrl = process.env.BANK_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `jifen_bank_${Date.now()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jifen-bank-'));
  const services: ServiceProcess[] = [];
  try {
    await admin.unsafe(`create database ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const env = { DATABASE_URL: url.toString(), DATA_DIR: dataDir, LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '0', DB_POOL_MAX: '10' };
    const mint = await tokenMinter(env);
    // One at a time: the first applies the migrations, the others find nothing left to do.
    for (let i = 0; i < instances; i++) services.push(await startService({ ...env, PORT: String(await freePort()) }));
    log(`bank-test: ${instances} instance(s) on database ${name}`);
    return await runBank({
      baseUrls: services.map((s) => s.baseUrl),
      adminToken: await mint('admin', 'bank-test'),
      mintToken: mint,
      durationSeconds,
      clients,
      readers,
      volunteers,
      ...(seedText ? { seed: Number(seedText) } : {}),
      log,
    });
  } finally {
    await Promise.all(services.map((s) => stopService(s)));
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const urls = (values.url ?? process.env.BANK_URL ?? '')
    .split(',')
    .map((u) => u.trim().replace(/\/$/, ''))
    .filter(Boolean);
  const report = urls.length > 0 ? await againstRunning(urls) : await onItsOwn();
  process.stdout.write(`${formatBankReport(report)}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const sound = report.anomalies.length === 0 && report.final.verifyOk && report.final.sumOfBalances === 0 && report.serverErrors === 0;
  if (!sound) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
