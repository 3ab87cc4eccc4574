import { sql } from 'kysely';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../db/database.js';

/**
 * Prometheus metrics, one registry per app so several apps in one process (tests) never collide.
 * Route labels are route patterns, never raw paths, to keep cardinality bounded.
 *
 * Figures that describe the programme rather than this process (ledger transactions by kind,
 * redemptions by outcome) are read from the database when Prometheus scrapes, so every instance
 * behind a load balancer reports the same numbers and nothing is lost on restart.
 */
export interface Metrics {
  registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /**
   * Sweeper runs by sweeper name and outcome ('ok' | 'failed'). Background jobs (expired-claim
   * sweeps, idempotency purges) increment it: `metrics.sweeperRuns.inc({ sweeper: 'claims', outcome: 'ok' })`.
   */
  sweeperRuns: Counter<'sweeper' | 'outcome'>;
  /** Writes per group commit (see writes/groups.ts): 1 when the service is quiet, more under load. */
  writeGroupSize: Histogram;
  /**
   * Sign-in attempts by method ('code' | 'oidc') and outcome ('ok', 'invalid', 'limited', 'refused',
   * 'not_linked'): a rise in 'invalid' or 'limited' is someone guessing codes.
   */
  signIns: Counter<'method' | 'outcome'>;
  /**
   * Gives the scrape-time collectors a database to read. Called by buildApp; attaching again (a
   * second app over the same deps) only replaces the handle, so collectors are never registered twice.
   */
  attachDatabase(database: Pick<Database, 'db' | 'poolMax' | 'connectionsInUse'>): void;
}

/**
 * How far behind now the transaction count is cached. A ledger transaction is stamped with its
 * database transaction's start time, so one still in flight can commit with a timestamp in the
 * past; rows older than this margin are settled and counted once, newer ones are counted afresh on
 * every scrape. This keeps a scrape cheap (an index range over the last minutes) on a ledger of
 * millions of rows while staying exact.
 */
const settledMarginSeconds = 300;

/**
 * A scrape must not fail because the database is briefly unreachable: the process metrics are still
 * worth having, so a database-backed gauge keeps its last values and the scrape goes on.
 */
async function keepLastOnFailure(read: () => Promise<void>): Promise<void> {
  try {
    await read();
  } catch {
    // Readiness reports the database; this gauge simply stays as it was.
  }
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'jifen_' });
  // prom-client also reports the sums of these three by-type gauges under names ending in _total,
  // which Prometheus reserves for counters (promtool check metrics refuses them). The by-type
  // gauges stay; their sum is `sum(jifen_nodejs_active_handles)` and so on (docs/operations.md).
  for (const name of ['jifen_nodejs_active_handles_total', 'jifen_nodejs_active_requests_total', 'jifen_nodejs_active_resources_total']) registry.removeSingleMetric(name);
  const requests = new Counter({
    name: 'jifen_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'jifen_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const sweeperRuns = new Counter({
    name: 'jifen_sweeper_runs_total',
    help: 'Background sweeper runs by sweeper and outcome',
    labelNames: ['sweeper', 'outcome'] as const,
    registers: [registry],
  });
  const signIns = new Counter({
    name: 'jifen_sign_ins_total',
    help: 'Sign-in attempts by method and outcome',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });

  const writeGroupSize = new Histogram({
    name: 'jifen_write_group_size',
    help: 'Writes committed together per group commit',
    buckets: [1, 2, 4, 8, 16, 32],
    registers: [registry],
  });

  let database: Pick<Database, 'db' | 'poolMax' | 'connectionsInUse'> | undefined;
  // The settled part of the transaction count: rows stamped before `settledUntil`, by kind.
  let settledUntil: Date | undefined;
  const settledCounts = new Map<string, number>();
  // Two scrapes at once must not fold the same rows twice, so ledger collections run one at a time.
  let ledgerScrape: Promise<void> = Promise.resolve();

  new Gauge({
    name: 'jifen_db_pool_connections',
    help: 'Database connections: the configured maximum and those in use now',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!database) return;
      this.set({ state: 'max' }, database.poolMax);
      this.set({ state: 'in_use' }, database.connectionsInUse());
    },
  });

  new Gauge({
    name: 'jifen_ledger_transactions',
    help: 'Ledger transactions ever posted, by kind (read from the database at scrape time)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      if (!database) return;
      const db = database.db;
      const run = ledgerScrape.then(() => keepLastOnFailure(async () => {
        const now = await sql<{ until: Date }>`select now() - make_interval(secs => ${settledMarginSeconds}) as until`.execute(db);
        const until = now.rows[0]?.until;
        if (!until) return;
        // Fold rows that have become settled since the last scrape into the cached counts.
        const fold = await sql<{ kind: string; n: number }>`
          select kind, count(*)::bigint as n from ledger_transactions
           where created_at < ${until} and (${settledUntil ?? null}::timestamptz is null or created_at >= ${settledUntil ?? null}::timestamptz)
           group by kind`.execute(db);
        for (const row of fold.rows) settledCounts.set(row.kind, (settledCounts.get(row.kind) ?? 0) + row.n);
        settledUntil = until;
        const recent = await sql<{ kind: string; n: number }>`
          select kind, count(*)::bigint as n from ledger_transactions where created_at >= ${until} group by kind`.execute(db);
        const totals = new Map(settledCounts);
        for (const row of recent.rows) totals.set(row.kind, (totals.get(row.kind) ?? 0) + row.n);
        this.reset();
        for (const [kind, n] of totals) this.set({ kind }, n);
      }));
      ledgerScrape = run;
      await run;
    },
  });

  new Gauge({
    name: 'jifen_redemptions',
    help: 'Redemptions (claims of benefit packs) by outcome: issued, redeemed, cancelled, expired (read from counters kept by the database at scrape time)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    async collect() {
      if (!database) return;
      const db = database.db;
      await keepLastOnFailure(async () => {
        // The counters arrive with migration 0014; until then there is nothing to count. They are
        // kept by triggers on the redemptions table (sql/0014_plans_and_counts.sql), so a scrape
        // reads a fixed 64 rows however many redemptions there are: claims ever made and claims
        // resolved each way, the outstanding ones being the difference.
        const exists = await sql<{ t: string | null }>`select to_regclass('redemption_counts')::text as t`.execute(db);
        if (!exists.rows[0]?.t) return;
        const rows = await sql<{ event: string; n: number }>`select event, sum(n)::bigint as n from redemption_counts group by event`.execute(db);
        const counts = new Map(rows.rows.map((row) => [row.event, row.n]));
        const resolved = ['redeemed', 'cancelled', 'expired'].map((outcome) => [outcome, counts.get(outcome) ?? 0] as const);
        this.reset();
        this.set({ outcome: 'issued' }, (counts.get('claimed') ?? 0) - resolved.reduce((sum, [, n]) => sum + n, 0));
        for (const [outcome, n] of resolved) this.set({ outcome }, n);
      });
    },
  });

  new Gauge({
    name: 'jifen_wishes',
    help: 'Wishes by state: open, taken, done, confirmed, cancelled, expired (read from per-state counters at scrape time; an open wish past its date counts as open until the sweeper expires it)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      if (!database) return;
      const db = database.db;
      await keepLastOnFailure(async () => {
        // The counters arrive with the wishes migration; until then there is nothing to count. They
        // are kept by triggers on the wishes table (sql/0016_wishes.sql), so a scrape reads a
        // fixed 96 rows however many wishes there are.
        const exists = await sql<{ t: string | null }>`select to_regclass('wish_counts')::text as t`.execute(db);
        if (!exists.rows[0]?.t) return;
        const rows = await sql<{ status: string; n: number }>`select status, sum(n)::bigint as n from wish_counts group by status`.execute(db);
        this.reset();
        for (const row of rows.rows) this.set({ status: row.status }, row.n);
      });
    },
  });

  return {
    registry,
    sweeperRuns,
    writeGroupSize,
    signIns,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route, status: String(status) }, seconds);
    },
    attachDatabase(next) {
      database = next;
    },
  };
}
