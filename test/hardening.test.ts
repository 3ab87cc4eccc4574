import { describe, expect, it } from 'vitest';
import { problemBody } from '../src/http/problem.js';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

useTestApp({}, (started) => ({ app, f } = started));

describe('problem documents', () => {
  it('never let an extension replace an RFC 9457 member, our code or the request id', () => {
    const body = problemBody('token_already_used', 'used', 'req-1', { status: 'cancelled', type: 'x', title: 'x', detail: 'x', instance: 'x', code: 'x', requestId: 'x', extra: 1 });
    expect(body).toEqual({ type: 'urn:jifen:problem:token_already_used', title: 'Redemption token already used', status: 409, detail: 'used', code: 'token_already_used', requestId: 'req-1', extra: 1 });
  });
});

/** A 400 validation_failed whose errors name `path`. */
function expectFieldRefused(res: { status: number; body: any }, path: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.code).toBe('validation_failed');
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
}

const cursorOf = (position: unknown[]) => Buffer.from(JSON.stringify(position)).toString('base64url');

describe('timestamps outside years 1 to 9999', () => {
  // Year 0000 does not exist in PostgreSQL; 9999-12-31T23:30-01:00 is year 10000 once its offset is applied.
  const tooEarly = '0000-01-01T00:00:00Z';
  const tooLate = '9999-12-31T23:30:00-01:00';

  it('are refused by name in queries, bodies and cursors, and nothing is written', async () => {
    const admin = f.adminToken;
    for (const asOf of [tooEarly, tooLate]) expectFieldRefused(await app.request('GET', `/v1/ledger/digest?asOf=${encodeURIComponent(asOf)}`, { token: admin }), 'query.asOf');

    const merchant = await f.merchant();
    expectFieldRefused(await app.request('POST', '/v1/packs', { token: admin, body: { merchantId: merchant.id, title: 'old', points: 5, validFrom: tooEarly } }), 'validFrom');
    expectFieldRefused(await app.request('POST', '/v1/packs', { token: admin, body: { merchantId: merchant.id, title: 'late', points: 5, validUntil: tooLate } }), 'validUntil');
    const pack = await f.pack(merchant.id);
    expectFieldRefused(await app.request('PATCH', `/v1/packs/${pack.id}`, { token: admin, body: { validFrom: tooEarly } }), 'validFrom');
    expect((await app.request('GET', `/v1/packs/${pack.id}`, { token: admin })).body.validFrom).toBeNull();

    const unit = await f.orgUnit();
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const activity = { title: 'edge of time', typeCode: type.code, orgUnitId: unit.id };
    expectFieldRefused(await app.request('POST', '/v1/activities', { token: admin, body: { ...activity, startsAt: tooEarly, endsAt: '0001-01-01T01:00:00Z' } }), 'startsAt');
    expectFieldRefused(await app.request('POST', '/v1/activities', { token: admin, body: { ...activity, startsAt: '9999-12-31T22:00:00Z', endsAt: tooLate } }), 'endsAt');
    for (const bound of ['from', 'to']) {
      expectFieldRefused(await app.request('GET', `/v1/activities?${bound}=${encodeURIComponent(tooEarly)}`, { token: admin }), `query.${bound}`);
      expectFieldRefused(await app.request('GET', `/v1/merchants/${merchant.id}/redemptions?${bound}=${encodeURIComponent(tooLate)}`, { token: admin }), `query.${bound}`);
      expectFieldRefused(await app.request('GET', `/v1/merchants/${merchant.id}/settlement?${bound}=${encodeURIComponent(tooEarly)}`, { token: admin }), `query.${bound}`);
    }
    const id = '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f';
    expectFieldRefused(await app.request('GET', `/v1/activities?cursor=${cursorOf([tooEarly, id])}`, { token: admin }), 'cursor');
    expectFieldRefused(await app.request('GET', `/v1/activities?cursor=${cursorOf([tooLate, id])}`, { token: admin }), 'cursor');
    // The settlement list's cursor holds microseconds since 1970: year 0000 in microseconds.
    expectFieldRefused(await app.request('GET', `/v1/merchants/${merchant.id}/redemptions?cursor=${cursorOf([-62_167_219_200_000_000, id])}`, { token: admin }), 'cursor');
  });

  it('the first and last instants of the range are accepted', async () => {
    for (const [from, to] of [['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'], ['0001-01-01T08:00:00+08:00', '9999-12-31T23:59:59+08:00']]) {
      const res = await app.request('GET', `/v1/activities?from=${encodeURIComponent(from!)}&to=${encodeURIComponent(to!)}&limit=1`, { token: f.adminToken });
      expect(res.status, `${from}..${to}: ${JSON.stringify(res.body)}`).toBe(200);
    }
  });

  it('a database date/time error still answers 400, never 500', async () => {
    const { mapDatabaseError } = await import('../src/db/errors.js');
    for (const code of ['22008', '22009', '22007']) {
      const mapped = mapDatabaseError(Object.assign(new Error('date/time field value out of range'), { code })) as { code?: string; status?: number };
      expect(mapped).toMatchObject({ code: 'validation_failed', status: 400 });
    }
  });
});

describe('strings PostgreSQL cannot store: U+0000 and lone surrogates', () => {
  it('are refused with 400 naming the field on every ledger write, and nothing is written', async () => {
    const { award, balanceOf, key } = await import('./support/ledger.js');
    const unit = await f.orgUnit();
    const volunteer = await f.volunteer(unit.id);
    const moved = await award(app, f.adminToken, volunteer.id, 10);
    for (const bad of ['\ud800', 'a\udc00b', 'x\ud83d', 'nul\u0000']) {
      const headers = { 'idempotency-key': key() };
      expectFieldRefused(await app.request('POST', '/v1/awards', { token: f.adminToken, body: { volunteerId: volunteer.id, points: 5, reason: bad }, headers }), 'reason');
      expectFieldRefused(await app.request('POST', '/v1/adjustments', { token: f.adminToken, body: { volunteerId: volunteer.id, points: -1, reason: bad }, headers }), 'reason');
      expectFieldRefused(await app.request('POST', `/v1/transactions/${moved.transactionId}/reverse`, { token: f.adminToken, body: { reason: bad } }), 'reason');
    }
    expect(await balanceOf(app, f.adminToken, volunteer.id)).toBe(10);
    // A well-formed pair (an emoji) is text like any other.
    const emoji = await app.request('POST', '/v1/awards', { token: f.adminToken, body: { volunteerId: volunteer.id, points: 1, reason: '谢谢 \ud83d\ude00' }, headers: { 'idempotency-key': key() } });
    expect(emoji.status).toBe(201);
  });

  it('are refused the same way in names, settlement references, wish details and keys', async () => {
    const unit = await f.orgUnit();
    expectFieldRefused(await app.request('POST', '/v1/org-units', { token: f.adminToken, body: { name: 'unit \ud800' } }), 'name');
    const merchant = await f.merchant();
    expectFieldRefused(await app.request('POST', `/v1/merchants/${merchant.id}/settlements`, { token: f.adminToken, body: { points: 1, reference: 'TRF-\udfff' } }), 'reference');
    const organiser = await f.organiser(unit.id);
    const organiserToken = await app.token('organiser', organiser.id);
    const wish = { orgUnitId: unit.id, category: 'other', title: 'help', details: 'bad \udbff end' };
    expectFieldRefused(await app.request('POST', '/v1/wishes', { token: organiserToken, body: wish }), 'details');
    expectFieldRefused(await app.request('POST', '/v1/org-units', { token: f.adminToken, raw: '{"name":"ok","\\ud800":1}' }), '\ud800');
  });
});

describe('what is refused before a body is read', () => {
  const nested = (depth: number, leaf: string) => `{"name":${'['.repeat(depth)}${leaf}${']'.repeat(depth)}}`;

  it('a body nested deeper than the bound is a 400, whatever it holds, with no stack overflow', async () => {
    for (const leaf of ['"\\u0000"', '"x"', '1']) {
      const res = await app.request('POST', '/v1/org-units', { token: f.adminToken, raw: nested(100_000, leaf) });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors[0].message).toMatch(/nested/);
    }
    // Within the bound, the NUL is still found and named.
    const shallow = await app.request('POST', '/v1/org-units', { token: f.adminToken, raw: nested(20, '"\\u0000"') });
    expect(shallow.status).toBe(400);
    expect(shallow.body.errors[0].path).toBe('name.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0');
  });

  it('a write with no credentials is a 401 before its body is read: not 413, not 400', async () => {
    const big = await app.request('POST', '/v1/org-units', { raw: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(401);
    expect(big.body.code).toBe('unauthorized');
    const malformed = await app.request('PATCH', '/v1/org-units/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', { raw: '{"name": ' });
    expect(malformed.status).toBe(401);
    const deep = await app.request('POST', '/v1/awards', { raw: nested(100_000, '"\\u0000"') });
    expect(deep.status).toBe(401);
    const wrongType = await app.request('POST', '/v1/org-units', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(wrongType.status).toBe(401);
  });

  it('a session cookie counts as credentials; unknown routes and the public sign-in are not refused for lack of them', async () => {
    const withCookie = await app.request('POST', '/v1/org-units', { raw: '{"name": ', headers: { cookie: 'theme=dark; jifen_session=abc' } });
    expect(withCookie.status).toBe(400);
    expect((await app.request('POST', '/nowhere', { raw: '{}' })).status).toBe(404);
    expect((await app.request('POST', '/healthz', { raw: '{}' })).status).toBe(405);
    const signIn = await app.request('POST', '/v1/sessions', { raw: '{"code": ' });
    expect(signIn.status).not.toBe(401);
  });
});

describe('ids in tokens', () => {
  it('an upper-case uuid sub names the same principal, and deactivation ends it at once whatever the spelling', async () => {
    // A long principal cache, so only the eviction on deactivation can make the token stop working.
    const cached = await startTestApp({ DATA_DIR: app.deps.config.DATA_DIR, PRINCIPAL_CACHE_MS: '60000' });
    try {
      const unit = await f.orgUnit();
      for (const deactivateAs of ['upper', 'lower'] as const) {
        const volunteer = await f.volunteer(unit.id);
        const upper = volunteer.id.toUpperCase();
        const token = await cached.token('volunteer', upper);
        const lowerToken = await cached.token('volunteer', volunteer.id);
        for (const t of [token, lowerToken]) expect((await cached.request('GET', `/v1/volunteers/${volunteer.id}/balance`, { token: t })).status).toBe(200);
        const path = `/v1/volunteers/${deactivateAs === 'upper' ? upper : volunteer.id}/deactivate`;
        expect((await cached.request('POST', path, { token: f.adminToken })).status).toBe(200);
        for (const t of [token, lowerToken]) expect((await cached.request('GET', `/v1/volunteers/${volunteer.id}/balance`, { token: t })).status).toBe(401);
      }
    } finally {
      await cached.close();
    }
  });

  it('the actor id is the lower-case spelling, so what it writes names the principal one way', async () => {
    const verify = (t: string) => app.deps.accessTokens.verify(t);
    const id = '01936B2E-7C1A-7E55-9D4B-3A1F2C3D4E5F';
    expect((await verify(await app.token('organiser', id))).sub).toBe(id.toLowerCase());
    expect((await verify(await app.token('admin', 'Ops-Admin'))).sub).toBe('Ops-Admin');
  });
});

describe('access token lifetime', () => {
  const now = () => Math.floor(Date.now() / 1000);
  async function sign(times: { iat?: number; exp: number }) {
    const { SignJWT } = await import('jose');
    const key = app.deps.accessTokens.ring.signing!;
    let jwt = new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
      .setSubject('ops')
      .setIssuer(app.deps.config.TOKEN_ISSUER)
      .setAudience(app.deps.config.TOKEN_AUDIENCE)
      .setExpirationTime(times.exp);
    if (times.iat !== undefined) jwt = jwt.setIssuedAt(times.iat);
    return jwt.sign(key.key);
  }
  const statusWith = async (token: string) => (await app.request('GET', '/v1/org-units?limit=1', { token })).status;

  it('refuses a correctly signed token living longer than ACCESS_TOKEN_LIFETIME_MAX_SECONDS (default 24 h)', async () => {
    expect(app.deps.config.ACCESS_TOKEN_LIFETIME_MAX_SECONDS).toBe(86_400);
    expect(await statusWith(await sign({ iat: now(), exp: Date.parse('9999-12-31T00:00:00Z') / 1000 }))).toBe(401);
    expect(await statusWith(await sign({ iat: now() - 10, exp: now() - 10 + 86_401 }))).toBe(401);
    expect(await statusWith(await sign({ iat: now() - 10, exp: now() - 10 + 86_400 }))).toBe(200);
  });

  it('refuses a token issued in the future beyond the clock tolerance, and one with no iat', async () => {
    expect(await statusWith(await sign({ iat: now() + 3600, exp: now() + 7200 }))).toBe(401);
    expect(await statusWith(await sign({ iat: now() + 10, exp: now() + 3600 }))).toBe(200);
    const missing = await app.request('GET', '/v1/org-units?limit=1', { token: await sign({ exp: now() + 600 }) });
    expect(missing.status).toBe(401);
    expect(missing.body.detail).toMatch(/iat/);
  });

  it('a configuration minting tokens it would refuse does not start', async () => {
    const { loadConfig } = await import('../src/config.js');
    expect(() => loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '90000' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '90000', ACCESS_TOKEN_LIFETIME_MAX_SECONDS: '90000' }).ACCESS_TOKEN_LIFETIME_MAX_SECONDS).toBe(90_000);
  });
});

describe('security headers', () => {
  it('nosniff and the policy on every answer; no-store on every answer to a request with credentials', async () => {
    const answers = [
      await app.request('GET', '/healthz'),
      await app.request('GET', '/nowhere'),
      await app.request('GET', '/openapi.json'),
      await app.request('GET', '/v1/org-units?limit=1', { token: f.adminToken }),
      await app.request('GET', '/v1/org-units?limit=1', { token: 'not-a-token' }),
      await app.request('POST', '/v1/org-units', { token: f.adminToken, body: {} }),
    ];
    for (const res of answers) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    for (const res of answers.slice(3)) expect(res.headers.get('cache-control')).toBe('no-store');
    expect(answers[0]!.headers.get('cache-control')).toBeNull();
    const withCookie = await app.request('GET', '/v1/org-units?limit=1', { headers: { cookie: 'jifen_session=x' } });
    expect(withCookie.headers.get('cache-control')).toBe('no-store');
  });

  it('the API reference page carries the full policy and no longer keeps tokens in localStorage', async () => {
    const page = await app.request('GET', '/docs');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(page.body).not.toMatch(/<script>|<style|style=/);
    const init = await app.request('GET', '/docs/init.js');
    expect(init.body).toContain('persistAuthorization: false');
  });
});

describe('what the document declares', () => {
  it("a closed activity's check-in code is 409, as declared, not a code that no longer works", async () => {
    const unit = await f.orgUnit();
    const type = await f.activityType({ kind: 'fixed', points: 5 });
    const activity = await f.activity(unit.id, type.code);
    expect((await app.request('GET', `/v1/activities/${activity.id}/check-in-code`, { token: f.adminToken })).status).toBe(200);
    expect((await app.request('POST', `/v1/activities/${activity.id}/close`, { token: f.adminToken })).status).toBe(200);
    for (const path of ['check-in-code', 'check-in-code/qr.svg']) {
      const res = await app.request('GET', `/v1/activities/${activity.id}/${path}`, { token: f.adminToken });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'conflict', status: 409 });
    }
  });

  it('every operation that takes a body, and every write, declares 413 and 415', async () => {
    const document = (await app.request('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> };
    const missing: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!['post', 'put', 'patch', 'delete'].includes(method) && !operation.requestBody) continue;
        for (const status of ['413', '415']) if (!operation.responses[status]) missing.push(`${method} ${path} ${status}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the response check in the test helper', () => {
  it('refuses an undeclared status, an undeclared media type and a body off its schema, and passes a true answer', async () => {
    const { responseChecker } = await import('./support/openapi-check.js');
    const check = responseChecker((await app.request('GET', '/openapi.json')).body);
    const problem = (status: unknown) => ({ type: 'urn:jifen:problem:conflict', title: 't', status, detail: 'd', code: 'conflict' });
    const json = 'application/problem+json';
    expect(check('POST', '/v1/redemptions/redeem', 409, json, '{}', problem(409))).toBeUndefined();
    expect(check('POST', '/v1/redemptions/redeem', 409, json, '{}', problem('cancelled'))).toMatch(/does not match its schema/);
    expect(check('POST', '/v1/awards', 413, json, '{}', problem(413))).toBeUndefined();
    expect(check('POST', '/v1/awards', 418, json, '{}', problem(418))).toMatch(/does not declare 418/);
    expect(check('GET', '/v1/org-units', 200, 'text/html', '<p>', '<p>')).toMatch(/answered text\/html/);
    expect(check('GET', '/app/wallet', 200, 'text/html', '<p>', '<p>')).toBeUndefined();
  });
});
