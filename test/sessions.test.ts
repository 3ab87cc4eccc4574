import { beforeAll, describe, expect, it } from 'vitest';
import { codeAlphabet } from '../src/sessions/codes.js';
import type { TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { issueCode, sessionCookieFrom, setCookieLine, signIn, withCookie } from './support/sessions.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;
useTestApp({}, (started) => ({ app, f } = started));

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
  });

  it('a session secret that was never issued is refused', async () => {
    const res = await withCookie(app, 'A'.repeat(43), 'GET', '/v1/sessions/current');
    expect(res.status).toBe(401);
  });
});
