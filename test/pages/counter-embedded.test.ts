import { describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { pageAppEnv } from '../support/browser.js';
import type { Factory } from '../support/factories.js';
import { useTestApp } from '../support/setup.js';
import { counterJourney } from './journey.js';

/**
 * The same path through the wallet and the counter on the embedded database (PGlite), the app
 * built as `npm start` builds it without DATABASE_URL.
 */
let app: TestApp;
let f: Factory;
useTestApp({ env: await pageAppEnv({ DATABASE_URL: '', MIGRATE_ON_START: 'true' }), ledgerSound: true, packsSound: true }, (started) => ({ app, f } = started));

describe('the wallet and the counter on embedded PostgreSQL', () => {
  it('sign-in link → wallet → claim → the counter scans it green, again the same, another shop red', { timeout: 180_000 }, async () => {
    expect(app.deps.database.kind).toBe('pglite');
    await counterJourney(app, f, { screenshots: false });
  });
});
