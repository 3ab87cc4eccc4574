import { afterAll, beforeAll } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import { Factory } from './factories.js';
import { expectLedgerSound } from './ledger.js';
import { createScratchDatabase } from './scratch.js';

export type ScratchDatabase = Awaited<ReturnType<typeof createScratchDatabase>>;

export interface FileApp {
  app: TestApp;
  /** Factories acting as an admin. */
  f: Factory;
  /** The file's own database, when it asked for one. */
  scratch?: ScratchDatabase;
}

export interface FileAppOptions {
  /** Settings over the test defaults (see startTestApp). */
  env?: Record<string, string>;
  /** A freshly migrated database of the file's own instead of the run's shared one, dropped afterwards. */
  scratch?: boolean;
  /** After the file's tests, the ledger must verify and its balances sum to zero. */
  ledgerSound?: boolean;
  /** After the file's tests, every pack's counters must match its claims. */
  packsSound?: boolean;
}

/**
 * The set-up most HTTP test files share. Before the file's tests: the real app, served over HTTP, on
 * the run's database (or a scratch one), and a factory with an admin token, handed to `ready`. After
 * them: the checks the file asked for, then the app is closed and a scratch database dropped.
 * A file that needs more set-up adds its own beforeAll after this call; it runs once this one has.
 */
export function useTestApp(options: FileAppOptions, ready: (started: FileApp) => void): void {
  let started: FileApp | undefined;
  let scratch: ScratchDatabase | undefined;
  beforeAll(async () => {
    if (options.scratch) scratch = await createScratchDatabase();
    const app = await startTestApp({ ...options.env, ...(scratch ? { DATABASE_URL: scratch.url } : {}) });
    started = { app, f: await Factory.create(app), ...(scratch ? { scratch } : {}) };
    ready(started);
  });
  afterAll(async () => {
    try {
      if (started && options.ledgerSound) await expectLedgerSound(started.app, started.f.adminToken);
      if (started && options.packsSound) await started.f.expectPacksSound();
    } finally {
      await started?.app.close();
      await scratch?.drop();
    }
  });
}
