import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { codeAlphabet } from '../src/sessions/codes.js';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { issueCode, sessionCookieFrom, setCookieLine, signIn, withCookie } from './support/sessions.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;
// The tests below fail many sign-ins from one address on purpose; the limits get tests of their own.
useTestApp({ env: { SIGN_IN_FAILURES_PER_CLIENT_PER_MINUTE: '100000' } }, (started) => ({ app, f } = started));

let unit: { id: string };
let volunteer: { id: string; name: string };
beforeAll(async () => {
  unit = await f.orgUnit();
  volunteer = await f.volunteer(unit.id);
});

describe('sign-in codes', () => {
  it('an admin issues a code: 8 symbols without look-alikes, a sign-in link on PUBLIC_URL, an expiry', async () => {
    const before = Date.now();
    const issued = await issueCode(app, f.adminToken, 'volunteer', volunteer.id);
    expect(issued.code).toMatch(new RegExp(`^[${codeAlphabet}]{8}$`));
    expect(issued.code).not.toMatch(/[01OIL]/);
    expect(issued.url).toBe(`${app.deps.config.PUBLIC_URL}/app/sign-in?code=${issued.code}`);
    const ttl = new Date(issued.expiresAt).getTime() - before;
    expect(ttl).toBeGreaterThan(890_000);
    expect(ttl).toBeLessThan(910_000);
    // Only the hash is stored.
    const rows = await app.deps.db.selectFrom('sign_in_codes').selectAll().where('principal_id', '=', volunteer.id).execute();
    expect(JSON.stringify(rows)).not.toContain(issued.code);
  });
});

describe('sessions', () => {
  it('a code opens a session: 201 with the principal, an HttpOnly SameSite=Lax cookie on Path=/, not Secure over http', async () => {
    const { code } = await issueCode(app, f.adminToken, 'volunteer', volunteer.id);
    const res = await app.request('POST', '/v1/sessions', { body: { code: code.toLowerCase() } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.principal).toEqual({ role: 'volunteer', id: volunteer.id, name: volunteer.name });
    const days = (new Date(res.body.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    const line = setCookieLine(res)!;
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).toMatch(/Path=\//);
    expect(line).not.toMatch(/Secure/);
    const cookie = sessionCookieFrom(res)!;
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const me = await withCookie(app, cookie, 'GET', '/v1/sessions/current', { origin: null });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.principal).toEqual({ role: 'volunteer', id: volunteer.id, name: volunteer.name });
    const balance = await withCookie(app, cookie, 'GET', `/v1/volunteers/${volunteer.id}/balance`, { origin: null });
    expect(balance.status).toBe(200);
  });

  it('a used code is refused with the same answer as an unknown or malformed one', async () => {
    const { code } = await issueCode(app, f.adminToken, 'volunteer', volunteer.id);
    await signIn(app, code);
    for (const attempt of [code, 'ABCDEFGH', '0OIL1', '']) {
      const res = await app.request('POST', '/v1/sessions', { body: { code: attempt } });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('sign_in_code_invalid');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    const count = (outcome: string) => Number(new RegExp(`jifen_sign_ins_total\\{method="code",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count('ok')).toBeGreaterThanOrEqual(1);
    expect(count('invalid')).toBeGreaterThanOrEqual(4);
  });

  it('cookie writes need our own origin (403 csrf_refused otherwise); Sec-Fetch-Site same-origin also passes', async () => {
    const organiser = await f.organiser(unit.id);
    const { code } = await issueCode(app, f.adminToken, 'organiser', organiser.id);
    const { cookie } = await signIn(app, code);
    const body = { name: 'csrf test', orgUnitId: unit.id };
    for (const origin of [null, 'https://evil.example', 'null']) {
      const res = await withCookie(app, cookie, 'POST', '/v1/volunteers', { body, origin });
      expect(res.status, `origin ${origin}`).toBe(403);
      expect(res.body.code).toBe('csrf_refused');
    }
    const crossSite = await withCookie(app, cookie, 'POST', '/v1/volunteers', { body, origin: null, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.body.code).toBe('csrf_refused');
    const own = await withCookie(app, cookie, 'POST', '/v1/volunteers', { body });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    const fetchSite = await withCookie(app, cookie, 'POST', '/v1/volunteers', { body, origin: null, headers: { 'sec-fetch-site': 'same-origin' } });
    expect(fetchSite.status).toBe(201);
    // Bearer requests are not subject to the rule, and a bearer token wins over the cookie.
    const bearer = await app.request('POST', '/v1/volunteers', { token: f.adminToken, body, headers: { origin: 'https://evil.example', cookie: `jifen_session=${cookie}` } });
    expect(bearer.status).toBe(201);
    const who = await app.request('GET', '/v1/sessions/current', { token: f.adminToken, headers: { cookie: `jifen_session=${cookie}` } });
    expect(who.status).toBe(404);
  });

  it('signing out ends the session and clears the cookie; the cookie then gets 401', async () => {
    const { code } = await issueCode(app, f.adminToken, 'volunteer', volunteer.id);
    const { cookie } = await signIn(app, code);
    const refused = await withCookie(app, cookie, 'DELETE', '/v1/sessions/current', { origin: 'https://evil.example' });
    expect(refused.body.code).toBe('csrf_refused');
    const out = await withCookie(app, cookie, 'DELETE', '/v1/sessions/current');
    expect(out.status).toBe(204);
    expect(setCookieLine(out)).toMatch(/^jifen_session=;.*Max-Age=0/);
    const after = await withCookie(app, cookie, 'GET', '/v1/sessions/current');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthorized');
    // The browser is told to forget a cookie that names no session.
    expect(setCookieLine(after)).toMatch(/^jifen_session=;.*Max-Age=0/);
  });

  it('a session secret that was never issued is refused', async () => {
    const res = await withCookie(app, 'A'.repeat(43), 'GET', '/v1/sessions/current');
    expect(res.status).toBe(401);
  });
});

describe('who may issue codes', () => {
  it('organisers for volunteers in their subtree only; volunteers and merchants never', async () => {
    const tree = await f.tree();
    const organiser = await f.organiser(tree.streetA.id);
    const inside = await f.volunteer(tree.community.id);
    const outside = await f.volunteer(tree.streetB.id);
    const merchant = await f.merchant(tree.streetA.id);
    const orgToken = await app.token('organiser', organiser.id);
    await issueCode(app, orgToken, 'volunteer', inside.id);
    const out = await app.request('POST', '/v1/sign-in-codes', { token: orgToken, body: { role: 'volunteer', principalId: outside.id } });
    expect(out.status).toBe(404);
    for (const body of [
      { role: 'organiser', principalId: organiser.id },
      { role: 'merchant', principalId: merchant.id },
      { role: 'admin', principalId: 'office' },
    ]) {
      const res = await app.request('POST', '/v1/sign-in-codes', { token: orgToken, body });
      expect(res.status, JSON.stringify(body)).toBe(403);
    }
    for (const token of [await app.token('volunteer', inside.id), await app.token('merchant', merchant.id)]) {
      const res = await app.request('POST', '/v1/sign-in-codes', { token, body: { role: 'volunteer', principalId: inside.id } });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
  });

  it('refuses unknown, malformed and inactive principals', async () => {
    const missing = await app.request('POST', '/v1/sign-in-codes', { token: f.adminToken, body: { role: 'merchant', principalId: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f' } });
    expect(missing.status).toBe(404);
    const malformed = await app.request('POST', '/v1/sign-in-codes', { token: f.adminToken, body: { role: 'volunteer', principalId: 'office' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].path).toBe('principalId');
    const badRole = await app.request('POST', '/v1/sign-in-codes', { token: f.adminToken, body: { role: 'king', principalId: 'office' } });
    expect(badRole.status).toBe(400);
    expect(badRole.body.errors[0].path).toBe('role');
    const gone = await f.volunteer(unit.id);
    await app.request('POST', `/v1/volunteers/${gone.id}/deactivate`, { token: f.adminToken });
    const inactive = await app.request('POST', '/v1/sign-in-codes', { token: f.adminToken, body: { role: 'volunteer', principalId: gone.id } });
    expect(inactive.status).toBe(409);
    expect(inactive.body.code).toBe('inactive');
  });

  it('a code may be asked to last longer (a printed card), from a minute to 30 days, and still signs in once', async () => {
    const person = await f.volunteer(unit.id);
    const card = await app.request('POST', '/v1/sign-in-codes', { token: f.adminToken, body: { role: 'volunteer', principalId: person.id, expiresInSeconds: 3 * 24 * 3600 } });
    expect(card.status).toBe(201);
    const days = (new Date(card.body.expiresAt).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(2.99);
    expect(days).toBeLessThan(3.01);
    await signIn(app, card.body.code);
    expect((await app.request('POST', '/v1/sessions', { body: { code: card.body.code } })).body.code).toBe('sign_in_code_invalid');
    for (const expiresInSeconds of [59, 30 * 24 * 3600 + 1, 1.5, '3600']) {
      const refused = await app.request('POST', '/v1/sign-in-codes', { token: f.adminToken, body: { role: 'volunteer', principalId: person.id, expiresInSeconds } });
      expect(refused.status, String(expiresInSeconds)).toBe(400);
      expect(refused.body.errors[0].path).toBe('expiresInSeconds');
    }
  });

  it('a new code for the same person replaces the earlier one', async () => {
    const person = await f.volunteer(unit.id);
    const first = await issueCode(app, f.adminToken, 'volunteer', person.id);
    const second = await issueCode(app, f.adminToken, 'volunteer', person.id);
    expect((await app.request('POST', '/v1/sessions', { body: { code: first.code } })).body.code).toBe('sign_in_code_invalid');
    await signIn(app, second.code);
  });

  it('codes for organisers, merchants and admins open sessions of their role, with their lifetimes', async () => {
    const organiser = await f.organiser(unit.id);
    const merchant = await f.merchant(unit.id);
    const cases = [
      { role: 'organiser', id: organiser.id, hours: 12 },
      { role: 'merchant', id: merchant.id, hours: 90 * 24 },
      { role: 'admin', id: 'night-shift', hours: 12 },
      { role: 'admin', id: '王主任', hours: 12 },
    ];
    for (const { role, id, hours } of cases) {
      const { code } = await issueCode(app, f.adminToken, role, id);
      const { res } = await signIn(app, code);
      expect(res.body.principal).toMatchObject({ role, id });
      const left = (new Date(res.body.expiresAt).getTime() - Date.now()) / 3_600_000;
      expect(left).toBeGreaterThan(hours - 0.1);
      expect(left).toBeLessThan(hours + 0.1);
    }
  });
});

describe('codes that cannot sign in', () => {
  it('an expired code gets the one answer', async () => {
    const person = await f.volunteer(unit.id);
    const { code } = await issueCode(app, f.adminToken, 'volunteer', person.id);
    await app.deps.db
      .updateTable('sign_in_codes')
      .set({ created_at: new Date(Date.now() - 3_600_000), expires_at: new Date(Date.now() - 1000) })
      .where('principal_id', '=', person.id)
      .execute();
    const res = await app.request('POST', '/v1/sessions', { body: { code } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('sign_in_code_invalid');
  });

  it('one code used by many at once opens exactly one session', async () => {
    const person = await f.volunteer(unit.id);
    const { code } = await issueCode(app, f.adminToken, 'volunteer', person.id);
    const results = await Promise.all(Array.from({ length: 6 }, () => app.request('POST', '/v1/sessions', { body: { code } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 401, 401, 401, 401, 401]);
  });

  it('another site cannot sign a browser in (login CSRF)', async () => {
    const person = await f.volunteer(unit.id);
    const { code } = await issueCode(app, f.adminToken, 'volunteer', person.id);
    const res = await app.request('POST', '/v1/sessions', { body: { code }, headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_refused');
    // The code was not spent by the refused attempt.
    await signIn(app, code, { origin: app.baseUrl });
  });

  it('bad bodies are refused naming the field', async () => {
    for (const body of [{}, { code: 12345678 }, { code: 'x'.repeat(65) }, { code: 'ABCDEFGH', extra: 1 }]) {
      const res = await app.request('POST', '/v1/sessions', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });
});

describe('own sessions', () => {
  it('lists them with the current one marked, ends one by id, and never another person\'s', async () => {
    const person = await f.volunteer(unit.id);
    const phone = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', person.id)).code, { 'user-agent': 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36' });
    const laptop = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', person.id)).code);
    const list = await withCookie(app, laptop.cookie, 'GET', '/v1/sessions');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    const [newest, older] = list.body.items;
    expect(newest).toMatchObject({ current: true, method: 'code' });
    expect(older).toMatchObject({ current: false, deviceLabel: 'Chrome on Android' });
    for (const key of ['id', 'deviceLabel', 'createdAt', 'lastSeenAt', 'expiresAt']) expect(older).toHaveProperty(key);

    const stranger = await f.volunteer(unit.id);
    const strangers = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', stranger.id)).code);
    const notYours = await withCookie(app, strangers.cookie, 'DELETE', `/v1/sessions/${older.id}`);
    expect(notYours.status).toBe(404);
    const byBearer = await app.request('DELETE', `/v1/sessions/${older.id}`, { token: f.adminToken });
    expect(byBearer.status).toBe(404);

    const ended = await withCookie(app, laptop.cookie, 'DELETE', `/v1/sessions/${older.id}`);
    expect(ended.status).toBe(204);
    expect(setCookieLine(ended)).toBeUndefined();
    expect((await withCookie(app, phone.cookie, 'GET', '/v1/sessions/current')).status).toBe(401);
    const self = await withCookie(app, laptop.cookie, 'DELETE', `/v1/sessions/${newest.id}`);
    expect(self.status).toBe(204);
    expect(setCookieLine(self)).toMatch(/Max-Age=0/);
  });

  it('a person keeps at most 50 sessions: one more ends the one idle longest', async () => {
    const person = await f.volunteer(unit.id);
    const first = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', person.id)).code);
    await app.deps.db
      .updateTable('sessions')
      .set({ created_at: new Date(Date.now() - 7_200_000), last_seen_at: new Date(Date.now() - 3_600_000) })
      .where('principal_id', '=', person.id)
      .execute();
    const rows = Array.from({ length: 49 }, (_, i) => ({
      id: `01936b2e-7c1a-7e55-9d4b-${String(i).padStart(12, '0')}`,
      secret_hash: `${'a'.repeat(62)}${String(i).padStart(2, '0')}`,
      role: 'volunteer' as const,
      principal_id: person.id,
      device_label: 'old phone',
      method: 'code' as const,
      expires_at: new Date(Date.now() + 86_400_000),
    }));
    await app.deps.db.insertInto('sessions').values(rows).execute();
    const latest = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', person.id)).code);
    const count = await app.deps.db.selectFrom('sessions').select((eb) => eb.fn.countAll<string>().as('n')).where('principal_id', '=', person.id).executeTakeFirst();
    expect(Number(count!.n)).toBe(50);
    expect((await withCookie(app, first.cookie, 'GET', '/v1/sessions/current')).status).toBe(401);
    expect((await withCookie(app, latest.cookie, 'GET', '/v1/sessions/current')).status).toBe(200);
  });

  it('signing in again in the same browser ends the session it had', async () => {
    const person = await f.volunteer(unit.id);
    const first = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', person.id)).code);
    const res = await app.request('POST', '/v1/sessions', {
      body: { code: (await issueCode(app, f.adminToken, 'volunteer', person.id)).code },
      headers: { cookie: `jifen_session=${first.cookie}` },
    });
    expect(res.status).toBe(201);
    expect((await withCookie(app, first.cookie, 'GET', '/v1/sessions/current')).status).toBe(401);
    const list = await withCookie(app, sessionCookieFrom(res)!, 'GET', '/v1/sessions');
    expect(list.body.items).toHaveLength(1);
  });

  it('the expiry slides with use and the cookie follows; an expired session is refused', async () => {
    const person = await f.volunteer(unit.id);
    const { cookie } = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', person.id)).code);
    const soon = new Date(Date.now() + 3_600_000);
    await app.deps.db
      .updateTable('sessions')
      .set({ created_at: new Date(Date.now() - 7_200_000), last_seen_at: new Date(Date.now() - 120_000), expires_at: soon })
      .where('principal_id', '=', person.id)
      .execute();
    const used = await withCookie(app, cookie, 'GET', '/v1/sessions/current');
    expect(used.status).toBe(200);
    expect(new Date(used.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(setCookieLine(used)).toMatch(/Max-Age=25\d{5}/);
    await app.deps.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000), last_seen_at: new Date(Date.now() - 120_000) })
      .where('principal_id', '=', person.id)
      .execute();
    expect((await withCookie(app, cookie, 'GET', '/v1/sessions/current')).status).toBe(401);
  });
});

describe('ending other people\'s sessions', () => {
  it('deactivating a person ends its sessions and voids its code at once', async () => {
    const person = await f.volunteer(unit.id);
    const { cookie } = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', person.id)).code);
    const pending = await issueCode(app, f.adminToken, 'volunteer', person.id);
    expect((await withCookie(app, cookie, 'GET', '/v1/sessions/current')).status).toBe(200);
    await app.request('POST', `/v1/volunteers/${person.id}/deactivate`, { token: f.adminToken });
    expect((await withCookie(app, cookie, 'GET', '/v1/sessions/current')).status).toBe(401);
    expect((await app.request('POST', '/v1/sessions', { body: { code: pending.code } })).body.code).toBe('sign_in_code_invalid');
    const rows = await app.deps.db.selectFrom('sessions').select('id').where('principal_id', '=', person.id).execute();
    expect(rows).toEqual([]);
  });

  it('a merchant\'s counter sessions end when the shop is deactivated', async () => {
    const merchant = await f.merchant(unit.id);
    const { cookie } = await signIn(app, (await issueCode(app, f.adminToken, 'merchant', merchant.id)).code);
    await app.request('POST', `/v1/merchants/${merchant.id}/deactivate`, { token: f.adminToken });
    expect((await withCookie(app, cookie, 'GET', '/v1/sessions')).status).toBe(401);
  });

  it('admins revoke anyone; organisers volunteers in scope; others may not', async () => {
    const tree = await f.tree();
    const organiser = await f.organiser(tree.streetA.id);
    const orgToken = await app.token('organiser', organiser.id);
    const inside = await f.volunteer(tree.community.id);
    const outside = await f.volunteer(tree.streetB.id);
    const insideSession = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', inside.id)).code);
    const outsideSession = await signIn(app, (await issueCode(app, f.adminToken, 'volunteer', outside.id)).code);
    const spare = await issueCode(app, f.adminToken, 'volunteer', inside.id);

    const refused = await app.request('POST', '/v1/sessions/revoke', { token: orgToken, body: { principalId: outside.id } });
    expect(refused.status).toBe(404);
    const ofOrganiser = await app.request('POST', '/v1/sessions/revoke', { token: orgToken, body: { principalId: organiser.id } });
    expect(ofOrganiser.status).toBe(404);
    const byVolunteer = await withCookie(app, insideSession.cookie, 'POST', '/v1/sessions/revoke', { body: { principalId: outside.id } });
    expect(byVolunteer.status).toBe(403);

    const revoked = await app.request('POST', '/v1/sessions/revoke', { token: orgToken, body: { principalId: inside.id } });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ principalId: inside.id, sessionsEnded: 1, codesVoided: 1 });
    expect((await withCookie(app, insideSession.cookie, 'GET', '/v1/sessions/current')).status).toBe(401);
    expect((await app.request('POST', '/v1/sessions', { body: { code: spare.code } })).status).toBe(401);

    const byAdmin = await app.request('POST', '/v1/sessions/revoke', { token: f.adminToken, body: { principalId: outside.id.toUpperCase() } });
    expect(byAdmin.body).toMatchObject({ principalId: outside.id, sessionsEnded: 1 });
    expect((await withCookie(app, outsideSession.cookie, 'GET', '/v1/sessions/current')).status).toBe(401);

    const operator = await signIn(app, (await issueCode(app, f.adminToken, 'admin', 'lost-laptop')).code);
    const admins = await app.request('POST', '/v1/sessions/revoke', { token: f.adminToken, body: { principalId: 'lost-laptop' } });
    expect(admins.body.sessionsEnded).toBe(1);
    expect((await withCookie(app, operator.cookie, 'GET', '/v1/sessions/current')).status).toBe(401);
  });
});

describe('without an identity provider', () => {
  it('the options say codes only, and the provider routes answer 404', async () => {
    const options = await app.request('GET', '/v1/sign-in-options');
    expect(options.body).toEqual({ codes: true, oidc: null });
    for (const path of ['/auth/oidc/start', '/auth/oidc/callback?code=a&state=b']) {
      const res = await app.request('GET', path);
      expect(res.status, path).toBe(404);
    }
    const registered = await app.request('POST', '/v1/volunteers', { token: f.adminToken, body: { name: 'no provider', orgUnitId: unit.id, externalSubject: 'x' } });
    expect(registered.status).toBe(400);
    expect(registered.body.errors[0].path).toBe('externalSubject');
  });
});

describe('settings', () => {
  it('the provider settings come all together, over https unless the provider is on this host', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ OIDC_ISSUER: 'https://sso.example.org/realms/a' })).toEqual([expect.stringContaining('set together')]);
    const all = { OIDC_CLIENT_ID: 'jifen', OIDC_CLIENT_SECRET: 's' };
    expect(problems({ ...all, OIDC_ISSUER: 'http://sso.example.org' })).toEqual([expect.stringContaining('https')]);
    expect(problems({ ...all, OIDC_ISSUER: 'http://127.0.0.1:8080' })).toEqual([]);
    expect(problems({ ...all, OIDC_ISSUER: 'https://sso.example.org', OIDC_TOKEN_ALGORITHMS: 'HS256' })).toEqual([expect.stringContaining('OIDC_TOKEN_ALGORITHMS')]);
    expect(problems({ SESSION_TTL_ADMIN_SECONDS: '10' })).toEqual([expect.stringContaining('SESSION_TTL_ADMIN_SECONDS')]);
  });

  it('over https the cookie is Secure and PUBLIC_URL\'s origin passes the CSRF rule', async () => {
    const secure = await startTestApp({ PUBLIC_URL: 'https://jifen.example.org' });
    try {
      const { code, url } = await issueCode(secure, await secure.token('admin', 'test-admin'), 'admin', 'office');
      expect(url).toBe(`https://jifen.example.org/app/sign-in?code=${code}`);
      const { cookie, res } = await signIn(secure, code, { origin: 'https://jifen.example.org' });
      expect(setCookieLine(res)).toMatch(/; Secure/);
      const wish = await withCookie(secure, cookie, 'DELETE', '/v1/sessions/current', { origin: 'https://jifen.example.org' });
      expect(wish.status).toBe(204);
    } finally {
      await secure.close();
    }
  });

  it('too many failures from one client get 429 with Retry-After, even for a good code; other clients go on', async () => {
    const limited = await startTestApp({ SIGN_IN_FAILURES_PER_CLIENT_PER_MINUTE: '3', TRUST_PROXY: 'true' });
    try {
      const { code } = await issueCode(limited, await limited.token('admin', 'test-admin'), 'admin', 'office');
      const from = (address: string) => ({ 'x-forwarded-for': `10.9.9.9, ${address}` });
      for (let i = 0; i < 3; i += 1) {
        expect((await limited.request('POST', '/v1/sessions', { body: { code: 'WRONGWRG' }, headers: from('10.0.0.1') })).status).toBe(401);
      }
      const blocked = await limited.request('POST', '/v1/sessions', { body: { code }, headers: from('10.0.0.1') });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('rate_limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      await signIn(limited, code, from('10.0.0.2'));
    } finally {
      await limited.close();
    }
  });

  it('failures from everyone together are limited too', async () => {
    const limited = await startTestApp({ SIGN_IN_FAILURES_PER_MINUTE: '4', TRUST_PROXY: 'true' });
    try {
      for (let i = 0; i < 4; i += 1) {
        expect((await limited.request('POST', '/v1/sessions', { body: { code: 'WRONGWRG' }, headers: { 'x-forwarded-for': `10.1.0.${i}` } })).status).toBe(401);
      }
      const blocked = await limited.request('POST', '/v1/sessions', { body: { code: 'WRONGWRG' }, headers: { 'x-forwarded-for': '10.1.1.1' } });
      expect(blocked.status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
