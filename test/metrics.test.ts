import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { Factory } from './support/factories.js';
import { award, key } from './support/ledger.js';
import { createScratchDatabase } from './support/scratch.js';
import type { ScratchDatabase } from './support/setup.js';
import { tableReads } from './support/stats.js';

/** /metrics as Prometheus and promtool expect it, and at a cost that does not grow with the tables. */

let scratch: ScratchDatabase;
let app: TestApp;
let f: Factory;

beforeAll(async () => {
  scratch = await createScratchDatabase();
  // One connection, so the scrape's reads are those of the session whose statistics are read below.
  app = await startTestApp({ DATABASE_URL: scratch.url, DB_POOL_MAX: '1', SWEEPER_INTERVAL_MS: '0' });
  f = await Factory.create(app);
});

afterAll(async () => {
  await app?.close();
  await scratch?.drop();
});

const scrape = async () => {
  const res = await app.request('GET', '/metrics');
  expect(res.status).toBe(200);
  return res.body as string;
};

const gauge = (text: string, name: string, label: string) => Number(new RegExp(`^${name}\\{${label}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 'NaN');

describe('metrics', () => {
  it('follow Prometheus naming: counters end in _total, nothing else does, and every metric is described', async () => {
    const text = await scrape();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
    const helped = new Set([...text.matchAll(/^# HELP (\S+) \S/gm)].map((m) => m[1]!));
    expect(types.length).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const { name, type } of types) {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) problems.push(`${name}: not a valid metric name`);
      if (!/^[a-z0-9_:]+$/.test(name)) problems.push(`${name}: not snake_case`);
      if (type === 'counter' && !name.endsWith('_total')) problems.push(`${name}: counter without _total`);
      if (type !== 'counter' && name.endsWith('_total')) problems.push(`${name}: ${type} named _total`);
      if (type !== 'histogram' && type !== 'summary' && /_(count|sum|bucket)$/.test(name)) problems.push(`${name}: ${type} with a histogram suffix`);
      if (/_(ms|milliseconds|msec|secs|mins|kb|mb)(_total)?$/.test(name)) problems.push(`${name}: not in base units`);
      if (!helped.has(name)) problems.push(`${name}: no HELP`);
    }
    expect(problems).toEqual([]);
    // The by-type gauges whose sums were the _total gauges are still there.
    expect(text).toContain('# TYPE jifen_nodejs_active_handles gauge');
    expect(text).toContain('# TYPE jifen_nodejs_active_resources gauge');
  });

  it('count redemptions by outcome from counters, without reading the redemptions table', async () => {
    const unit = await f.orgUnit();
    const volunteer = await f.volunteer(unit.id);
    await award(app, f.adminToken, volunteer.id, 100);
    const merchant = await f.merchant();
    const pack = await f.pack(merchant.id, { points: 10 });
    const volunteerToken = await app.token('volunteer', volunteer.id);
    const claims = [];
    for (let i = 0; i < 4; i++) {
      const claimed = await app.request('POST', '/v1/redemptions', { token: volunteerToken, body: { packId: pack.id }, headers: { 'idempotency-key': key() } });
      expect(claimed.status).toBe(201);
      claims.push(claimed.body);
    }
    expect((await app.request('POST', '/v1/redemptions/redeem', { token: await app.token('merchant', merchant.id), body: { token: claims[0].token } })).status).toBe(200);
    expect((await app.request('POST', `/v1/redemptions/${claims[1].id}/cancel`, { token: volunteerToken })).status).toBe(200);

    const before = await tableReads(app, scratch, ['redemptions']);
    const text = await scrape();
    const after = await tableReads(app, scratch, ['redemptions']);
    expect(after.redemptions).toEqual(before.redemptions);
    expect(gauge(text, 'jifen_redemptions', 'outcome="issued"')).toBe(2);
    expect(gauge(text, 'jifen_redemptions', 'outcome="redeemed"')).toBe(1);
    expect(gauge(text, 'jifen_redemptions', 'outcome="cancelled"')).toBe(1);
    expect(gauge(text, 'jifen_redemptions', 'outcome="expired"')).toBe(0);
  });
});
