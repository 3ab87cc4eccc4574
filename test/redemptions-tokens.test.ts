import { createPublicKey, verify as verifySignature, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { compactId, redemptionTokenTyp } from '../src/redemptions/token.js';
import { retireKey, rotateKeyFile } from '../src/tokens/keys.js';
import { startTestApp, type TestApp } from './support/app.js';
import { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';
import { award } from './support/ledger.js';

let app: TestApp;
let f: Factory;

useTestApp({ ledgerSound: true, packsSound: true }, (started) => ({ app, f } = started));

async function issued(target: TestApp = app, factory: Factory = f, packExtra: Parameters<Factory['pack']>[1] = {}) {
  const unit = await factory.orgUnit();
  const volunteer = await factory.volunteer(unit.id);
  await award(target, factory.adminToken, volunteer.id, 100_000);
  const merchant = await factory.merchant();
  const pack = await factory.pack(merchant.id, packExtra);
  const volunteerToken = await target.token('volunteer', volunteer.id);
  const res = await target.request('POST', '/v1/redemptions', { token: volunteerToken, body: { packId: pack.id } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { volunteer, merchant, pack, claim: res.body as { id: string; token: string; points: number }, merchantToken: await target.token('merchant', merchant.id) };
}

const redeem = (token: string, code: string, target: TestApp = app) => target.request('POST', '/v1/redemptions/redeem', { token, body: { token: code } });

/**
 * What a redeem could have written: ledger transactions about the claim, and postings to the shop's
 * account. Scoped to this claim because other test files write to the same ledger at the same time.
 */
async function writtenFor(claimId: string, merchantId: string): Promise<string> {
  const r = await sql<{ tx: number; entries: number }>`
    select (select count(*) from ledger_transactions where reference = ${claimId})::int as tx,
           (select entry_count from accounts where id = ${merchantId})::int as entries`.execute(app.deps.db);
  return JSON.stringify(r.rows[0]);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Signs arbitrary header and claims with a key, as a forger (or the service's own key, for shape tests) would. */
function sign(key: CryptoKey, header: Record<string, unknown>, claims: Record<string, unknown>) {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

describe('the redemption token', () => {
  it('stays within 300 characters at the highest price and longest lifetime', async () => {
    const long = await startTestApp({ DATA_DIR: app.deps.config.DATA_DIR, REDEMPTION_TOKEN_TTL_SECONDS: String(7 * 24 * 3600) });
    try {
      const s = await issued(long, await Factory.create(long), { points: 99_999 });
      expect(s.claim.token.length).toBeLessThanOrEqual(300);
    } finally {
      await long.close();
    }
  });

  it('is a compact EdDSA JWS with kid, its own typ, the merchant as audience and the claim id as jti', async () => {
    const s = await issued();
    const header = decodeProtectedHeader(s.claim.token);
    expect(header).toEqual({ alg: 'EdDSA', kid: app.deps.documentKeys.redemption.signing?.kid, typ: redemptionTokenTyp });
    const payload = JSON.parse(Buffer.from(s.claim.token.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toEqual({ aud: compactId(s.merchant.id), jti: compactId(s.claim.id), pt: s.pack.points, iat: expect.any(Number), exp: payload.iat + 900 });
  });

  it('verifies offline with Node crypto and only the published JWKS', async () => {
    const s = await issued();
    const jwks = await app.request('GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const [h, p, sig] = s.claim.token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const jwk = jwks.body.keys.find((k: { kid: string }) => k.kid === header.kid);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', 'x-jifen-purpose': 'redemption' });
    expect(jwk.d).toBeUndefined();
    const publicKey = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
    expect(verifySignature(null, Buffer.from(`${h}.${p}`), publicKey, Buffer.from(sig, 'base64url'))).toBe(true);
    expect(verifySignature(null, Buffer.from(`${h}.${p}x`), publicKey, Buffer.from(sig, 'base64url'))).toBe(false);
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    expect(claims.aud).toBe(compactId(s.merchant.id));
    expect(claims.exp).toBeGreaterThan(now());
    // The same check a shop's JWT library makes in one call, asking for its own id as the audience.
    const { payload } = await jwtVerify(s.claim.token, createLocalJWKSet(jwks.body), { algorithms: ['EdDSA'], typ: redemptionTokenTyp, audience: compactId(s.merchant.id) });
    expect(payload.pt).toBe(s.pack.points);
  });
});

describe('forged and misused tokens all fail, with nothing written', () => {
  let s: Awaited<ReturnType<typeof issued>>;
  let realKey: CryptoKey;
  let kid: string;
  let good: Record<string, unknown>;
  beforeAll(async () => {
    s = await issued();
    const signing = app.deps.documentKeys.redemption.signing;
    if (!signing) throw new Error('no redemption signing key');
    realKey = signing.key;
    kid = signing.kid;
    good = { aud: compactId(s.merchant.id), jti: compactId(s.claim.id), pt: s.claim.points, iat: now(), exp: now() + 600 };
  });

  async function expectRefused(code: string, expected: { status: number; code: string }, token = s.merchantToken) {
    const before = await writtenFor(s.claim.id, s.merchant.id);
    const res = await redeem(token, code);
    expect({ status: res.status, code: res.body.code }).toEqual(expected);
    expect(await writtenFor(s.claim.id, s.merchant.id)).toBe(before);
    const state = await app.request('GET', `/v1/redemptions/${s.claim.id}`, { token: f.adminToken });
    expect(state.body.status).toBe('issued');
  }
  const invalid = { status: 422, code: 'token_invalid' };

  it('alg none', async () => {
    await expectRefused(`${b64({ alg: 'none', kid, typ: redemptionTokenTyp })}.${b64(good)}.`, invalid);
  });

  it('HS256 signed with the public key as the secret', async () => {
    const jwk = app.deps.documentKeys.redemption.publicJwks.find((k) => k.kid === kid);
    const secret = new TextEncoder().encode(JSON.stringify(jwk));
    const forged = await new SignJWT(good).setProtectedHeader({ alg: 'HS256', kid, typ: redemptionTokenTyp }).sign(secret);
    await expectRefused(forged, invalid);
    const rawX = Buffer.from(String(jwk?.x), 'base64url');
    await expectRefused(await new SignJWT(good).setProtectedHeader({ alg: 'HS256', kid, typ: redemptionTokenTyp }).sign(rawX), invalid);
  });

  it('a wrong key under the real kid, and an unknown kid', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    await expectRefused(await sign(privateKey, { alg: 'EdDSA', kid, typ: redemptionTokenTyp }, good), invalid);
    await expectRefused(await sign(privateKey, { alg: 'EdDSA', kid: 'ffffffffffffffff', typ: redemptionTokenTyp }, good), invalid);
    await expectRefused(await sign(realKey, { alg: 'EdDSA', kid: 'ffffffffffffffff', typ: redemptionTokenTyp }, good), invalid);
    const { privateKey: es } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { importPKCS8 } = await import('jose');
    const esKey = await importPKCS8(es.export({ format: 'pem', type: 'pkcs8' }).toString(), 'ES256');
    await expectRefused(await sign(esKey, { alg: 'ES256', kid, typ: redemptionTokenTyp }, good), invalid);
  });

  it('a flipped character anywhere', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const token = s.claim.token;
    const before = await writtenFor(s.claim.id, s.merchant.id);
    for (let i = 0; i < token.length; i++) {
      const c = token[i] as string;
      if (c === '.') continue;
      // Flip the highest of the character's six bits, which every position uses (the lowest may be padding).
      const flipped = alphabet[alphabet.indexOf(c) ^ 32] as string;
      const res = await redeem(s.merchantToken, token.slice(0, i) + flipped + token.slice(i + 1));
      expect({ i, status: res.status, code: res.body.code }).toEqual({ i, status: 422, code: 'token_invalid' });
    }
    expect(await writtenFor(s.claim.id, s.merchant.id)).toBe(before);
    expect((await app.request('GET', `/v1/redemptions/${s.claim.id}`, { token: f.adminToken })).body.status).toBe('issued');
  });

  it('a wrong audience or typ, even with the real key', async () => {
    await expectRefused(await sign(realKey, { alg: 'EdDSA', kid, typ: redemptionTokenTyp }, { ...good, aud: 'jifen-api' }), invalid);
    await expectRefused(await sign(realKey, { alg: 'EdDSA', kid, typ: redemptionTokenTyp }, { ...good, aud: [compactId(s.merchant.id), 'x'] }), invalid);
    await expectRefused(await sign(realKey, { alg: 'EdDSA', kid, typ: 'at+jwt' }, good), invalid);
    await expectRefused(await sign(realKey, { alg: 'EdDSA', kid }, good), invalid);
    // A genuine signature over claims that do not match the stored claim (a different price) is refused too.
    await expectRefused(await sign(realKey, { alg: 'EdDSA', kid, typ: redemptionTokenTyp }, { ...good, pt: 1 }), invalid);
  });

  it('expired', async () => {
    await expectRefused(await sign(realKey, { alg: 'EdDSA', kid, typ: redemptionTokenTyp }, { ...good, iat: now() - 3600, exp: now() - 1800 }), { status: 410, code: 'token_expired' });
  });

  it("another merchant's pack", async () => {
    const other = await f.merchant();
    await expectRefused(s.claim.token, { status: 403, code: 'token_wrong_merchant' }, await app.token('merchant', other.id));
    const foreign = await issued();
    await expectRefused(foreign.claim.token, { status: 403, code: 'token_wrong_merchant' });
  });

  it('an access token submitted as a redemption token', async () => {
    await expectRefused(s.merchantToken, invalid);
    await expectRefused(await app.token('volunteer', s.volunteer.id), invalid);
  });

  it('a redemption token used as a bearer token', async () => {
    const res = await app.request('GET', `/v1/redemptions/${s.claim.id}`, { token: s.claim.token });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    const asMerchant = await redeem(s.claim.token, s.claim.token);
    expect(asMerchant.status).toBe(401);
  });

  it('and the genuine token still redeems afterwards', async () => {
    expect((await redeem(s.merchantToken, s.claim.token)).status).toBe(200);
  });
});

describe('key rotation', () => {
  it('a new key signs new tokens, old tokens keep redeeming, and a retired key stops verifying', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'jifen-keys-'));
    const apps: TestApp[] = [];
    try {
      const first = await startTestApp({ DATA_DIR: dir });
      apps.push(first);
      const ff = await Factory.create(first);
      const oldKid = first.deps.documentKeys.redemption.signing?.kid as string;
      const before = await issued(first, ff);
      const beforeRetired = await issued(first, ff);

      const rotated = await rotateKeyFile(dir, 'redemption');
      const second = await startTestApp({ DATA_DIR: dir });
      apps.push(second);
      const jwks = await second.request('GET', '/.well-known/jwks.json');
      const redemptionKids = jwks.body.keys.filter((k: Record<string, string>) => k['x-jifen-purpose'] === 'redemption').map((k: { kid: string }) => k.kid);
      expect(redemptionKids).toEqual([oldKid, rotated.kid]);
      const after = await issued(second, ff);
      expect(decodeProtectedHeader(after.claim.token).kid).toBe(rotated.kid);
      expect((await redeem(before.merchantToken, before.claim.token, second)).status).toBe(200);
      expect((await redeem(after.merchantToken, after.claim.token, second)).status).toBe(200);

      await retireKey(dir, 'redemption', oldKid);
      const third = await startTestApp({ DATA_DIR: dir });
      apps.push(third);
      const retired = await redeem(beforeRetired.merchantToken, beforeRetired.claim.token, third);
      expect(retired.status).toBe(422);
      expect(retired.body.code).toBe('token_invalid');
      const published = (await third.request('GET', '/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
      expect(published).not.toContain(oldKid);
      // The stranded claim is still the volunteer's to cancel: points come back.
      expect((await third.request('POST', `/v1/redemptions/${beforeRetired.claim.id}/cancel`, { token: ff.adminToken })).status).toBe(200);
    } finally {
      for (const a of apps) await a.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
