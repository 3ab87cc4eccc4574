/**
 * Bulk-entry benchmark (npm run bench:records): how long POST /v1/activities/{id}/records takes for
 * a full batch of 1,000 rows, over HTTP, against real PostgreSQL.
 *
 * It creates a fresh database on the server named by DATABASE_URL (default the local server at
 * postgres://postgres@127.0.0.1:5432/postgres), migrates it, starts the app in this process, creates
 * 1,000 volunteers, then posts one 1,000-row batch to each of several activities and reports the
 * median and the maximum. The database is dropped at the end.
 *
 * Environment: DATABASE_URL, BENCH_REPETITIONS (default 7), BENCH_ROWS (default 1000), BENCH_OUT
 * (default bench-results; the result is also written to records.json there).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServerType } from '@hono/node-server';
import { serveApp } from '../src/http/server.js';
import postgres from 'postgres';
import { buildApp } from '../src/app.js';
import { buildDeps } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';

const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const repetitions = Number(process.env.BENCH_REPETITIONS ?? 7);
const rowCount = Number(process.env.BENCH_ROWS ?? 1000);
const outDir = process.env.BENCH_OUT ?? 'bench-results';

async function main() {
  const name = `jifen_bench_records_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-bench-'));
  let server: ServerType | undefined;
  let close: (() => Promise<void>) | undefined;
  try {
    const migration = await openDatabase({ databaseUrl: url.toString(), dataDir, poolMax: 1 });
    await migrate(migration);
    await migration.close();

    const config = loadConfig({ DATABASE_URL: url.toString(), DATA_DIR: dataDir, LOG_LEVEL: 'warn', MIGRATE_ON_START: 'false', DB_POOL_MAX: '10', RATE_LIMIT_PER_SECOND: '0' });
    const deps = await buildDeps(config, createLogger(config.LOG_LEVEL));
    close = () => deps.database.close();
    const app = buildApp(deps);
    server = await new Promise<ServerType>((resolve) => {
      const s = serveApp(app, { port: 0, hostname: '127.0.0.1', https: false }, () => resolve(s));
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('server has no port');
    const base = `http://127.0.0.1:${address.port}`;
    const token = await deps.accessTokens.mint({ role: 'admin', sub: 'bench-admin' });

    const post = async (urlPath: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}${urlPath}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const json = (await res.json()) as any;
      if (res.status !== 201) throw new Error(`POST ${urlPath} answered ${res.status}: ${JSON.stringify(json).slice(0, 500)}`);
      return json;
    };

    const unit = await post('/v1/org-units', { name: 'bench district' });
    const volunteers: string[] = [];
    for (let i = 0; i < rowCount; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, rowCount - i) }, (_, j) => post('/v1/volunteers', { name: `bench volunteer ${i + j}`, orgUnitId: unit.id })));
      volunteers.push(...batch.map((v) => v.id as string));
    }
    await post('/v1/activity-types', { code: 'bench-cleanup', name: 'bench cleanup', rule: { kind: 'per_hour', points: 10 } });

    const timings: number[] = [];
    // One extra batch first, untimed, so connection set-up and statement preparation are not measured.
    for (let run = 0; run <= repetitions; run++) {
      const activity = await post('/v1/activities', {
        title: `bench activity ${run}`,
        typeCode: 'bench-cleanup',
        orgUnitId: unit.id,
        startsAt: new Date(Date.now() - 6 * 3_600_000).toISOString(),
        endsAt: new Date(Date.now() - 3_600_000).toISOString(),
      });
      const records = volunteers.map((volunteerId, i) => ({ volunteerId, minutes: 30 + (i % 270) }));
      const started = performance.now();
      const result = await post(`/v1/activities/${activity.id}/records`, { records }, { 'idempotency-key': randomUUID() });
      const ms = performance.now() - started;
      if (result.records.length !== rowCount) throw new Error(`expected ${rowCount} records, got ${result.records.length}`);
      if (run > 0) timings.push(ms);
    }
    const sorted = [...timings].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    const round = (n: number) => Math.round(n * 10) / 10;
    const verify = await fetch(`${base}/v1/ledger/verify`, { headers: { authorization: `Bearer ${token}` } });
    const verified = (await verify.json()) as { ok: boolean };
    const result = {
      date: new Date().toISOString(),
      rows: rowCount,
      repetitions,
      cpus: os.cpus().length,
      medianMs: round(median),
      maxMs: round(sorted[sorted.length - 1] ?? 0),
      minMs: round(sorted[0] ?? 0),
      runsMs: timings.map(round),
      ledgerVerified: verified.ok,
    };
    await fs.mkdir(outDir, { recursive: true });
    await fs.writeFile(path.join(outDir, 'records.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (close) await close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
