import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, sql, type Transaction } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { PostgresJSDialect } from 'kysely-postgres-js';
import postgres from 'postgres';
import { DomainError } from '../errors.js';
import type { DB } from './types.js';

export type { DB };
export type Db = Kysely<DB>;
export type Tx = Transaction<DB>;

/**
 * A statement written once as SQL text with $1, $2, ... parameters, for the hottest paths: running it
 * skips Kysely's query builder and compiler (which freeze and walk a node tree on every call) while
 * still going through the same connection, transaction and driver as every other query.
 */
export function statement<Row>(text: string) {
  return async (db: Db | Tx, ...params: unknown[]): Promise<Row[]> => (await db.executeQuery<Row>(CompiledQuery.raw(text, params))).rows;
}

/**
 * Runs a multi-statement SQL script and parameterised single statements inside one
 * transaction. Migrations need this: a `.sql` file is many statements, which neither driver
 * accepts as one prepared statement.
 */
export interface ScriptRunner {
  exec(script: string): Promise<void>;
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

/**
 * The one seam between the service and its database driver. Everything above it speaks Kysely;
 * only this file knows whether that is postgres.js over the network or PGlite in-process.
 */
export interface Database {
  readonly db: Db;
  readonly kind: 'postgres' | 'pglite';
  /** Where the data lives, safe to log (no password). */
  readonly location: string;
  /** Largest number of concurrent connections the driver will open. */
  readonly poolMax: number;
  /** Connections currently lent out to queries and transactions (for the pool-use gauge). */
  connectionsInUse(): number;
  inScriptTransaction<T>(fn: (runner: ScriptRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolMax: number;
  /** Longest wait for a free connection before failing with 503 rather than hanging. */
  acquireTimeoutMs?: number;
  connectTimeoutSeconds?: number;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/** int8 values are points and counts; they must stay exact, so anything beyond 2^53 is an error, not a rounding. */
export function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} exceeds the safe integer range`);
  return n;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

/** Longest wait between attempts to reconnect to PostgreSQL after losing it. */
const reconnectDelayMaxSeconds = 1;

function openPostgres(url: string, options: DatabaseOptions): Database {
  const client = postgres(url, {
    max: options.poolMax,
    onnotice: () => {},
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    // postgres.js waits before reconnecting a closed connection, and its default wait grows with
    // every failed attempt across the pool up to 20 s, so after an outage of a few seconds the
    // service would sit idle long after PostgreSQL is back. A short, capped, jittered wait lets it
    // recover within a second or so (a connection attempt to a down server is cheap).
    backoff: (attempt: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** attempt, reconnectDelayMaxSeconds),
    // Server-side limits so a stuck statement, a lock wait or an abandoned transaction cannot hold
    // a connection (and the locks it has) for ever.
    connection: {
      application_name: options.applicationName ?? 'jifen',
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      lock_timeout: options.lockTimeoutMs ?? 5_000,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 30_000,
    },
    types: {
      int8: { to: 20, from: [20], serialize: (v: number | bigint) => String(v), parse: parseInt8 },
    },
  });
  // kysely-postgres-js never asks postgres.js to prepare statements; preparing them saves a parse
  // and plan per query on the hot path, so every reserved connection passes `prepare: true` through.
  // Kysely reserves a connection for each query or transaction and releases it after, so counting
  // here is the pool's use as the service sees it (the pool-use gauge on /metrics).
  let inUse = 0;
  const preparing = {
    end: () => client.end({ timeout: 5 }),
    reserve: async () => {
      const reserved = await acquireWithin(client, options.acquireTimeoutMs ?? 5_000);
      inUse += 1;
      let released = false;
      // postgres.js 3.4.9 crashes the whole process (an uncatchable TypeError in nextWrite, from a
      // setImmediate) when anything is written to a reserved connection whose socket has closed, and
      // releasing such a connection puts the closed connection back among the open ones, where the
      // next query writes to it (porsager/postgres#1208, #1154; fixes unreleased). Kysely writes
      // ROLLBACK to the same connection after a failed statement, so once a statement on this
      // connection fails because the connection died, nothing more is sent on it and it is not
      // released: the driver has already moved it to its closed queue and reconnects it on demand.
      let dead = false;
      return {
        release: () => {
          if (!released) {
            released = true;
            inUse -= 1;
            if (!dead) reserved.release();
          }
        },
        unsafe: async (query: string, params?: unknown[], queryOptions?: Record<string, unknown>) => {
          if (dead) throw Object.assign(new Error('the database connection was lost'), { code: 'CONNECTION_CLOSED' });
          try {
            return await reserved.unsafe(query, params as never[], { prepare: true, ...queryOptions });
          } catch (error) {
            if (isConnectionLost(error)) dead = true;
            throw error;
          }
        },
      };
    },
  };
  const db = new Kysely<DB>({ dialect: new PostgresJSDialect({ postgres: () => preparing }) });
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url),
    poolMax: options.poolMax,
    connectionsInUse: () => inUse,
    async inScriptTransaction(fn) {
      return (await client.begin(async (tx) =>
        fn({
          exec: async (script) => {
            await tx.unsafe(script);
          },
          query: async <R>(text: string, params: unknown[] = []) =>
            (await tx.unsafe(text, params as never[])) as unknown as R[],
        }),
      )) as Awaited<ReturnType<typeof fn>>;
    },
    async close() {
      await db.destroy();
      // Kysely only ends a driver it has used: a process that ran nothing but a script
      // transaction (npm run migrate) would otherwise keep its connection and never exit.
      await client.end({ timeout: 5 });
    },
  };
}

/** Errors after which the connection they came from is gone: socket errors, and FATAL shutdowns that close it. */
function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return connectionLostCodes.has(code) || code.startsWith('08');
}
const connectionLostCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  '57P01',
  '57P02',
  '57P03',
]);

/**
 * Takes a connection from the pool, or gives up after `timeoutMs` with 503 (pool exhausted or
 * database unreachable) instead of letting requests queue without bound. A connection that arrives
 * after the caller gave up goes straight back to the pool.
 */
async function acquireWithin(client: postgres.Sql, timeoutMs: number): Promise<postgres.ReservedSql> {
  const pending = client.reserve();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      pending.then((late) => late.release()).catch(() => {});
      reject(new DomainError('service_unavailable', 'no database connection became free in time; retry shortly', {}, 1));
    }, timeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const dir = path.join(options.dataDir, 'pgdata');
  await fs.mkdir(dir, { recursive: true });
  const pg = await PGlite.create(dir, {
    parsers: { 20: parseInt8 },
  });
  // One in-process connection serves every request, so a runaway statement would stall them all.
  await pg.exec(`set statement_timeout = ${Math.trunc(options.statementTimeoutMs ?? 15_000)}`);
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pg) });
  return {
    db,
    kind: 'pglite',
    location: dir,
    poolMax: 1,
    // PGlite is one in-process connection that queues its callers; it is never "lent out".
    connectionsInUse: () => 0,
    async inScriptTransaction(fn) {
      return pg.transaction(async (tx) =>
        fn({
          exec: async (script) => {
            await tx.exec(script);
          },
          query: async <R>(text: string, params: unknown[] = []) => (await tx.query<R>(text, params)).rows,
        }),
      );
    },
    async close() {
      // Destroying Kysely closes the PGlite instance through the dialect's driver.
      await db.destroy();
    },
  };
}

/** A cheap round trip used by readiness checks. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
