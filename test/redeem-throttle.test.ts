import { describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

useTestApp({ env: { REDEEM_FAILURES_MAX: '3', REDEEM_FAILURE_WINDOW_SECONDS: '60' } }, (started) => ({ app, f } = started));

describe('failed redemption attempts', () => {
  it('are throttled per merchant with 429 and Retry-After, leaving other merchants alone', async () => {
    const unit = await f.orgUnit();
    const shop = await f.merchant(unit.id);
    const other = await f.merchant(unit.id);
    const token = await app.token('merchant', shop.id);
    const forged = 'eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUiLCJ0eXAiOiJqciJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJl';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.request('POST', '/v1/redemptions/redeem', { token, body: { token: forged } })).status);
    expect(statuses).toEqual([422, 422, 422, 429]);
    const refused = await app.request('POST', '/v1/redemptions/redeem', { token, body: { token: forged } });
    expect(refused.body.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const otherToken = await app.token('merchant', other.id);
    expect((await app.request('POST', '/v1/redemptions/redeem', { token: otherToken, body: { token: forged } })).status).toBe(422);
  });
});
