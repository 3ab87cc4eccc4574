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

/**
 * Longest wait between attempts to reconnect one connection to PostgreSQL after losing it. An attempt
 * against a server that is down is refused at once, so attempts are cheap; a short ceiling means a
 * request waiting when PostgreSQL returns is served within a quarter of a second of it.
 */
const reconnectDelayMaxSeconds = 0.25;

/**
 * The pool is ours, a fixed set of slots each holding one postgres.js client of one connection
 * (max: 1), lent to one query or transaction at a time, rather than postgres.js's own pool of many.
 * Its reserve() queue does not recover from an outage: a waiter whose connection attempt failed is
 * rejected but stays in the queue, so once PostgreSQL is back the first connections go to waiters
 * nobody is waiting for any more and are never given back, while live requests wait out the whole
 * acquire timeout behind them. Here a slot never breaks: a query on a slot whose connection has died
 * simply connects again (with a short capped backoff), so as soon as PostgreSQL accepts connections
 * the next request through each slot is served, and the queue of waiters is plain FIFO in which a
 * waiter that gives up leaves.
 */
interface Slot {
  sql: postgres.Sql;
  /** How many times this slot's connection has closed (or failed to open): a lease spans no close. */
  closes: number;
  /** The statement in flight on this slot, if any: told when its connection closes. */
  onClose?: (() => void) | undefined;
}

/**
 * How long a statement may stay unanswered after its connection closed. postgres.js answers a
 * statement in flight at once when its connection dies, but when PostgreSQL terminates sessions
 * (a fast shutdown) it can now and then lose one, which would then wait for ever. After this grace
 * the statement is given up as lost and the slot gets a fresh client, so nothing the old one still
 * holds can run later.
 */
const unansweredAfterCloseMs = 1_000;

interface Waiter {
  resolve: (slot: Slot) => void;
  timer: NodeJS.Timeout;
}

function openPostgres(url: string, options: DatabaseOptions): Database {
  const slotOptions = {
    max: 1,
    onnotice: () => {},
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    // postgres.js waits before reconnecting a closed connection, and its default wait grows with
    // every failed attempt up to 20 s, so after an outage of a few seconds the service would sit
    // idle long after PostgreSQL is back. A short, capped, jittered wait instead.
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
  };
  const connect = (slot: Slot): postgres.Sql => {
    const client: postgres.Sql = postgres(url, {
      ...slotOptions,
      onclose: () => {
        // A client the slot has already replaced no longer counts.
        if (slot.sql !== client) return;
        slot.closes += 1;
        slot.onClose?.();
      },
    });
    return client;
  };
  const slots: Slot[] = Array.from({ length: Math.max(1, options.poolMax) }, () => {
    const slot: Slot = { closes: 0, sql: undefined as unknown as postgres.Sql };
    slot.sql = connect(slot);
    return slot;
  });

  /** Runs one statement on a slot; one left unanswered after its connection closed fails as lost (see unansweredAfterCloseMs). */
  const run = (slot: Slot, query: string, params: unknown[] | undefined, queryOptions: Record<string, unknown> | undefined) =>
    new Promise<postgres.RowList<postgres.Row[]>>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        clearTimeout(timer);
        if (slot.onClose === lost) slot.onClose = undefined;
      };
      const lost = () => {
        timer ??= setTimeout(() => {
          settle();
          const abandoned = slot.sql;
          slot.sql = connect(slot);
          slot.closes += 1;
          abandoned.end({ timeout: 0 }).catch(() => {});
          reject(Object.assign(new Error('the database connection was lost'), { code: 'CONNECTION_CLOSED' }));
        }, unansweredAfterCloseMs);
      };
      slot.onClose = lost;
      slot.sql.unsafe(query, params as never[], { prepare: true, ...queryOptions }).then(
        (rows) => {
          settle();
          resolve(rows);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
    });
  const free = [...slots];
  const waiting: Waiter[] = [];
  const acquireTimeoutMs = options.acquireTimeoutMs ?? 5_000;

  /**
   * Takes a free slot, or waits for one in arrival order; after `acquireTimeoutMs` the waiter leaves
   * the queue and hears 503 (pool exhausted or database unreachable) instead of waiting without bound.
   */
  const acquire = (): Promise<Slot> => {
    const slot = free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          reject(new DomainError('service_unavailable', 'no database connection became free in time; retry shortly', {}, 1));
        }, acquireTimeoutMs),
      };
      waiting.push(waiter);
    });
  };
  const giveBack = (slot: Slot) => {
    const next = waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(slot);
    } else free.push(slot);
  };

  // Kysely reserves a connection for each query or transaction and releases it after, so counting
  // here is the pool's use as the service sees it (the pool-use gauge on /metrics). Every statement
  // is prepared (kysely-postgres-js never asks): that saves a parse and plan per query on the hot path.
  let inUse = 0;
  const pool = {
    end: async () => {
      await Promise.all(slots.map((slot) => slot.sql.end({ timeout: 5 })));
    },
    reserve: async () => {
      const slot = await acquire();
      inUse += 1;
      let closesAtStart = slot.closes;
      let statements = 0;
      let released = false;
      return {
        release: () => {
          if (!released) {
            released = true;
            inUse -= 1;
            giveBack(slot);
          }
        },
        unsafe: async (query: string, params?: unknown[], queryOptions?: Record<string, unknown>) => {
          // A connection lost in the middle of a lease is not replaced under it: the next statement
          // would open a fresh session and run outside the transaction begun on the old one. The
          // lease fails instead; the slot reconnects for its next lease.
          if (slot.closes !== closesAtStart) throw Object.assign(new Error('the database connection was lost'), { code: 'CONNECTION_CLOSED' });
          const first = statements === 0;
          statements += 1;
          try {
            return await run(slot, query, params, queryOptions);
          } catch (error) {
            // The lease's first statement found no session to run in (PostgreSQL refused the
            // connection, or answered that it is shutting down or starting up): nothing ran, so it
            // goes once more on a fresh connection. Around a restart a refusal can reach a slot
            // after PostgreSQL is already back; the second attempt is then served at once.
            if (!first || !refusedBeforeRunning(error)) throw error;
            closesAtStart = slot.closes;
            return await run(slot, query, params, queryOptions);
          }
        },
      };
    },
  };
  const db = new Kysely<DB>({ dialect: new PostgresJSDialect({ postgres: () => pool }) });
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url),
    poolMax: slots.length,
    connectionsInUse: () => inUse,
    async inScriptTransaction(fn) {
      const slot = await acquire();
      try {
        return (await slot.sql.begin(async (tx) =>
          fn({
            exec: async (script) => {
              await tx.unsafe(script);
            },
            query: async <R>(text: string, params: unknown[] = []) =>
              (await tx.unsafe(text, params as never[])) as unknown as R[],
          }),
        )) as Awaited<ReturnType<typeof fn>>;
      } finally {
        giveBack(slot);
      }
    },
    async close() {
      await db.destroy();
      // Kysely only ends a driver it has used: a process that ran nothing but a script
      // transaction (npm run migrate) would otherwise keep its connection and never exit.
      await pool.end();
    },
  };
}

/** Errors that mean a statement never reached a session: the connection was refused outright. */
function refusedBeforeRunning(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNREFUSED' || code === '57P03';
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
