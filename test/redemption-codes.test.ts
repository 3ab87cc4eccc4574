import { sql } from 'kysely';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { maskName } from '../src/redemptions/service.js';
import { normaliseShortCode, printedShortCode, shortCodeAlphabet, shortCodeOf } from '../src/redemptions/token.js';
import { startTestApp, type TestApp } from './support/app.js';
import { Factory } from './support/factories.js';
import { award } from './support/ledger.js';
import { recordHelpers } from './support/records.js';
import { useTestApp } from './support/setup.js';

/**
 * What the counter and the wallet need from the API: the redeem answer names the pack and the
 * volunteer (masked), a short code the shop can type, the same success for a retried code, and a
 * check-in code whose QR holds the wallet's check-in page.
 */
let app: TestApp;
let f: Factory;
useTestApp({ ledgerSound: true, packsSound: true }, (started) => ({ app, f } = started));
const records = recordHelpers(() => ({ app, f }));

async function claimed(target: TestApp = app, factory: Factory = f, name = '王秀英') {
  const unit = await factory.orgUnit();
  const volunteer = await factory.volunteer(unit.id, { name });
  await award(target, factory.adminToken, volunteer.id, 500);
  const merchant = await factory.merchant();
  const pack = await factory.pack(merchant.id, { title: '理发一次', points: 40 });
  const res = await target.request('POST', '/v1/redemptions', { token: await target.token('volunteer', volunteer.id), body: { packId: pack.id } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { volunteer, merchant, pack, claim: res.body, merchantToken: await target.token('merchant', merchant.id), volunteerToken: await target.token('volunteer', volunteer.id) };
}

const redeem = (merchantToken: string, code: string, target: TestApp = app) => target.request('POST', '/v1/redemptions/redeem', { token: merchantToken, body: { token: code } });

describe('masked names', () => {
  it('keep enough to ask "is this you?" and no more', () => {
    expect(maskName('王秀英')).toBe('王*英');
    expect(maskName('欧阳建国')).toBe('欧**国');
    expect(maskName('李明')).toBe('李*');
    expect(maskName('张')).toBe('*');
    expect(maskName('Alice Smith')).toBe('A**** S****');
    expect(maskName('  Bo  ')).toBe('B*');
  });
});

describe('short codes', () => {
  it('are 8 symbols without look-alikes, typed in any case with spaces or a dash', () => {
    const code = shortCodeOf('eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl');
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    expect(shortCodeAlphabet).not.toMatch(/[01OIL]/);
    expect(normaliseShortCode(printedShortCode(code).toLowerCase())).toBe(code);
    expect(normaliseShortCode(` ${code.slice(0, 4)} ${code.slice(4)} `)).toBe(code);
    for (const bad of ['ABCDEFG', 'ABCDEFGH1', 'ABCD0FGH', 'ABCDEFGI', 'x'.repeat(50), '']) expect(normaliseShortCode(bad), bad).toBeUndefined();
  });

  it('are the same in the service and in the database', async () => {
    const s = await claimed();
    expect(s.claim.shortCode).toBe(shortCodeOf(s.claim.token));
    const row = await sql<{ short_code: string }>`select short_code from redemptions where id = ${s.claim.id}`.execute(app.deps.db);
    expect(row.rows[0]!.short_code).toBe(s.claim.shortCode);
    const read = await app.request('GET', `/v1/redemptions/${s.claim.id}`, { token: s.volunteerToken });
    expect(read.body).toMatchObject({ shortCode: s.claim.shortCode, packTitle: '理发一次', merchantName: s.merchant.name });
    // The shop reading the same claim sees neither the token nor the short code.
    const asShop = await app.request('GET', `/v1/redemptions/${s.claim.id}`, { token: s.merchantToken });
    expect(asShop.body.token).toBeUndefined();
    expect(asShop.body.shortCode).toBeUndefined();
  });
});

describe('redeeming at the counter', () => {
  it('names the pack and the masked volunteer, by the token or by the typed short code, the same every time', async () => {
    const s = await claimed();
    const typed = printedShortCode(s.claim.shortCode).toLowerCase();
    const first = await redeem(s.merchantToken, typed);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({
      id: s.claim.id,
      packId: s.pack.id,
      packTitle: '理发一次',
      volunteerId: s.volunteer.id,
      volunteerName: '王*英',
      points: 40,
      status: 'redeemed',
      redeemedAt: expect.any(String),
    });
    const again = await redeem(s.merchantToken, s.claim.token);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const typedAgain = await redeem(s.merchantToken, s.claim.shortCode);
    expect(typedAgain.body).toEqual(first.body);
    const settled = await sql<{ n: number }>`select count(*)::int as n from ledger_transactions where reference = ${s.claim.id} and kind = 'settle'`.execute(app.deps.db);
    expect(settled.rows[0]!.n).toBe(1);
    const list = await app.request('GET', `/v1/merchants/${s.merchant.id}/redemptions`, { token: s.merchantToken });
    expect(list.body.items[0]).toMatchObject({ id: s.claim.id, packTitle: '理发一次', volunteerName: '王*英' });
  });

  it('refuses a short code for another shop, and one nobody was given, in the same words as a token', async () => {
    const s = await claimed();
    const other = await f.merchant();
    const elsewhere = await redeem(await app.token('merchant', other.id), s.claim.shortCode);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.code).toBe('token_wrong_merchant');
    let unknown = 'ABCDEFGH';
    while (unknown === s.claim.shortCode) unknown = 'HGFEDCBA';
    const nobody = await redeem(s.merchantToken, unknown);
    expect(nobody.status).toBe(422);
    expect(nobody.body.code).toBe('token_invalid');
    const cancelled = await app.request('POST', `/v1/redemptions/${s.claim.id}/cancel`, { token: s.volunteerToken });
    expect(cancelled.status).toBe(200);
    const afterCancel = await redeem(s.merchantToken, s.claim.shortCode);
    expect(afterCancel.status).toBe(409);
    expect(afterCancel.body.code).toBe('token_already_used');
  });

  it('answers a code redeemed before with the same success even after the code has expired', async () => {
    const short = await startTestApp({ REDEMPTION_TOKEN_TTL_SECONDS: '2', CLOCK_TOLERANCE_SECONDS: '0', SWEEPER_INTERVAL_MS: '0' });
    try {
      const factory = await Factory.create(short);
      const s = await claimed(short, factory, 'Alice Smith');
      const first = await redeem(s.merchantToken, s.claim.token, short);
      expect(first.status).toBe(200);
      const unused = await claimed(short, factory);
      await new Promise((resolve) => setTimeout(resolve, 3_100));
      const late = await redeem(s.merchantToken, s.claim.token, short);
      expect(late.status, JSON.stringify(late.body)).toBe(200);
      expect(late.body).toEqual({ ...first.body, volunteerName: 'A**** S****' });
      const lateTyped = await redeem(s.merchantToken, s.claim.shortCode, short);
      expect(lateTyped.body).toEqual(first.body);
      // An expired code that was never redeemed is still refused as expired.
      const expired = await redeem(unused.merchantToken, unused.claim.token, short);
      expect(expired.status).toBe(410);
      expect(expired.body.code).toBe('token_expired');
    } finally {
      await short.close();
    }
  });
});

describe('the check-in code', () => {
  it("holds the wallet's check-in page, in the answer and in the QR code", async () => {
    const unit = await f.orgUnit();
    const { activity, code } = await records.running(unit.id, { kind: 'per_hour', points: 10 });
    const res = await app.request('GET', `/v1/activities/${activity.id}/check-in-code`, { token: f.adminToken });
    expect(res.status).toBe(200);
    const url = `${app.deps.config.PUBLIC_URL}/app/wallet/check-in?activity=${activity.id}&code=${code}`;
    expect(res.body.url).toBe(url);
    const svg = await app.request('GET', `/v1/activities/${activity.id}/check-in-code/qr.svg`, { token: f.adminToken });
    expect(svg.status).toBe(200);
    expect(svg.body).toBe(await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }));
  });
});
