import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { Factory } from './support/factories.js';
import { apiResource, startProvider, TestBrowser, type TestProvider } from './support/oidc.js';
import { issueCode } from './support/sessions.js';

/**
 * Signing in at the programme's identity provider, end to end against a real OpenID provider
 * (oidc-provider) started here: the browser goes through its login and consent screens and comes
 * back to the service, which must link identities only as told and never make a principal.
 */

const publicUrl = 'http://jifen.test';
let provider: TestProvider;
let app: TestApp;
let f: Factory;
let unit: { id: string };

beforeAll(async () => {
  provider = await startProvider(`${publicUrl}/auth/oidc/callback`);
  app = await startTestApp({
    PUBLIC_URL: publicUrl,
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: provider.clientId,
    OIDC_CLIENT_SECRET: provider.clientSecret,
    OIDC_AUDIENCE: provider.audience,
    OIDC_DISPLAY_NAME: '统一身份认证',
    SIGN_IN_FAILURES_PER_CLIENT_PER_MINUTE: '100000',
  });
  f = await Factory.create(app);
  unit = await f.orgUnit();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await provider?.close();
});

let subjects = 0;
const subject = (name: string) => `${name}-${process.pid}-${Date.now()}-${++subjects}`;

function browser(headers: Record<string, string> = {}) {
  return new TestBrowser({ [publicUrl]: app.baseUrl }, headers);
}

/** Through the provider and back: where the service finally sends the browser (or what it answers). */
async function signInAtProvider(b: TestBrowser, login: string) {
  return b.visit(`${publicUrl}/auth/oidc/start`, login, `${publicUrl}/app/`);
}

async function current(b: TestBrowser) {
  const cookie = b.cookie(app.baseUrl, 'jifen_session');
  return app.request('GET', '/v1/sessions/current', { headers: cookie ? { cookie: `jifen_session=${cookie}` } : {} });
}

/** An access token for the jifen API from the provider, as a command-line client would get one. */
async function providerAccessToken(login: string, from: TestProvider = provider): Promise<string> {
  const provider = from;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(`${provider.issuer}/auth`);
  for (const [k, v] of Object.entries({
    client_id: provider.cli.clientId,
    response_type: 'code',
    scope: 'openid api',
    redirect_uri: provider.cli.redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'cli-state',
    resource: apiResource,
  })) {
    authorize.searchParams.set(k, v);
  }
  const back = await new TestBrowser().visit(authorize.href, login, provider.cli.redirectUri);
  const code = new URL(back.url).searchParams.get('code');
  expect(code, back.body).toBeTruthy();
  const res = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${provider.cli.clientId}:${provider.cli.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: provider.cli.redirectUri, code_verifier: verifier, resource: apiResource }),
  });
  const body = (await res.json()) as { access_token?: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body.access_token!.split('.')).toHaveLength(3);
  return body.access_token!;
}

describe('sign-in options', () => {
  it('say the provider is there, by its name', async () => {
    const res = await app.request('GET', '/v1/sign-in-options');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ codes: true, oidc: { displayName: '统一身份认证', startUrl: '/auth/oidc/start' } });
  });
});

describe('the authorization code flow', () => {
  it('starts with PKCE, state and nonce, keeping them in a signed cookie on /auth/oidc only', async () => {
    const b = browser();
    const res = await b.request('GET', `${publicUrl}/auth/oidc/start`);
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(provider.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`${publicUrl}/auth/oidc/callback`);
    for (const p of ['code_challenge', 'state', 'nonce']) expect(to.searchParams.get(p)).toBeTruthy();
    const line = res.headers.getSetCookie().find((l) => l.startsWith('jifen_oidc='))!;
    expect(line).toMatch(/Path=\/auth\/oidc/);
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).not.toContain(to.searchParams.get('state'));
  });

  it('an unlinked identity gets 403 identity_not_linked and no principal; a sign-in code then links it once', async () => {
    const alice = subject('alice');
    const volunteer = await f.volunteer(unit.id);
    const b = browser();
    const refused = await signInAtProvider(b, alice);
    expect(refused.res.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'identity_not_linked' });
    expect(b.cookie(app.baseUrl, 'jifen_session')).toBeUndefined();
    const pending = b.cookie(app.baseUrl, 'jifen_oidc_link');
    expect(pending).toBeTruthy();
    const volunteers = await app.deps.db.selectFrom('identity_links').select('subject').where('subject', '=', alice).execute();
    expect(volunteers).toEqual([]);

    // The person signs in once with a code in the same browser: the identity is linked to them.
    const { code } = await issueCode(app, f.adminToken, 'volunteer', volunteer.id);
    const signIn = await fetch(`${app.baseUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `jifen_oidc_link=${pending}` },
      body: JSON.stringify({ code }),
    });
    const body = (await signIn.json()) as { identityLinked: boolean; principal: { id: string } };
    expect(signIn.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ identityLinked: true, principal: { role: 'volunteer', id: volunteer.id } });
    expect(signIn.headers.getSetCookie().some((l) => /^jifen_oidc_link=;/.test(l))).toBe(true);

    // From now on the provider is enough, in any browser.
    const later = browser();
    const back = await signInAtProvider(later, alice);
    expect(back.res.status).toBe(303);
    expect(back.url).toBe(`${publicUrl}/app/wallet`);
    const me = await current(later);
    expect(me.status).toBe(200);
    expect(me.body.principal).toMatchObject({ role: 'volunteer', id: volunteer.id });
    const list = await app.request('GET', '/v1/sessions', { headers: { cookie: `jifen_session=${later.cookie(app.baseUrl, 'jifen_session')}` } });
    expect(list.body.items.find((s: { current: boolean }) => s.current)).toMatchObject({ method: 'oidc' });

    // A pending cookie cannot move a linked identity, nor give a linked person a second identity.
    const other = await f.volunteer(unit.id);
    const again = await fetch(`${app.baseUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `jifen_oidc_link=${pending}` },
      body: JSON.stringify({ code: (await issueCode(app, f.adminToken, 'volunteer', other.id)).code }),
    });
    expect(((await again.json()) as { identityLinked: boolean }).identityLinked).toBe(false);
    expect((await current(later)).body.principal.id).toBe(volunteer.id);
  });

  it('a browser asking for HTML gets a page in plain words, still 403', async () => {
    const b = browser({ accept: 'text/html', 'accept-language': 'zh-CN,zh;q=0.9' });
    const refused = await signInAtProvider(b, subject('bob'));
    expect(refused.res.status).toBe(403);
    expect(refused.res.headers.get('content-type')).toContain('text/html');
    expect(refused.body).toContain('identity_not_linked');
    expect(refused.body).toContain('登录码');
    expect(refused.body).toContain('href="/app/sign-in"');
  });

  it('registration links an identity (externalSubject); each role lands on its own page', async () => {
    const carol = subject('carol');
    const dan = subject('dan');
    const organiser = await app.request('POST', '/v1/organisers', { token: f.adminToken, body: { name: 'OIDC organiser', orgUnitId: unit.id, externalSubject: carol } });
    expect(organiser.status, JSON.stringify(organiser.body)).toBe(201);
    const merchant = await app.request('POST', '/v1/merchants', { token: f.adminToken, body: { name: 'OIDC shop', externalSubject: dan } });
    expect(merchant.status).toBe(201);
    const taken = await app.request('POST', '/v1/volunteers', { token: f.adminToken, body: { name: 'same identity', orgUnitId: unit.id, externalSubject: carol } });
    expect(taken.status).toBe(409);
    expect(await app.deps.db.selectFrom('volunteers').select('id').where('name', '=', 'same identity').execute()).toEqual([]);

    const b = browser();
    expect((await signInAtProvider(b, carol)).url).toBe(`${publicUrl}/app/desk`);
    expect((await current(b)).body.principal).toMatchObject({ role: 'organiser', id: organiser.body.id });
    const shop = browser();
    expect((await signInAtProvider(shop, dan)).url).toBe(`${publicUrl}/app/counter`);

    // An operator links by signing in once with an admin code.
    const erin = subject('erin');
    const office = browser();
    await signInAtProvider(office, erin);
    const { code } = await issueCode(app, f.adminToken, 'admin', 'office-erin');
    await fetch(`${app.baseUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `jifen_oidc_link=${office.cookie(app.baseUrl, 'jifen_oidc_link')}` },
      body: JSON.stringify({ code }),
    });
    expect((await signInAtProvider(browser(), erin)).url).toBe(`${publicUrl}/app/office`);
  });

  it('a deactivated person cannot sign in at the provider any more', async () => {
    const frank = subject('frank');
    const volunteer = await app.request('POST', '/v1/volunteers', { token: f.adminToken, body: { name: 'leaving', orgUnitId: unit.id, externalSubject: frank } });
    const b = browser();
    expect((await signInAtProvider(b, frank)).url).toBe(`${publicUrl}/app/wallet`);
    await app.request('POST', `/v1/volunteers/${volunteer.body.id}/deactivate`, { token: f.adminToken });
    expect((await current(b)).status).toBe(401);
    const refused = await signInAtProvider(browser(), frank);
    expect(refused.res.status).toBe(403);
    expect(JSON.parse(refused.body).code).toBe('forbidden');
  });

  it('a callback without its login cookie, or with the provider\'s refusal, signs nobody in', async () => {
    const stray = await app.request('GET', '/auth/oidc/callback?code=abc&state=def');
    expect(stray.status).toBe(400);
    expect(stray.body.errors[0].path).toBe('state');
    const b = browser();
    const start = await b.request('GET', `${publicUrl}/auth/oidc/start`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const denied = await b.request('GET', `${publicUrl}/auth/oidc/callback?error=access_denied&state=${state}&iss=${encodeURIComponent(provider.issuer)}`);
    expect(denied.status).toBe(401);
    expect(b.cookie(app.baseUrl, 'jifen_session')).toBeUndefined();
    // The login cookie is spent either way.
    expect(b.cookie(app.baseUrl, 'jifen_oidc')).toBeUndefined();
  });
});

describe('the provider\'s access tokens on the API', () => {
  it('are accepted for a linked identity, refused with identity_not_linked otherwise, and checked', async () => {
    const grace = subject('grace');
    const volunteer = await app.request('POST', '/v1/volunteers', { token: f.adminToken, body: { name: 'token holder', orgUnitId: unit.id, externalSubject: grace } });
    const token = await providerAccessToken(grace);
    const balance = await app.request('GET', `/v1/volunteers/${volunteer.body.id}/balance`, { token });
    expect(balance.status, JSON.stringify(balance.body)).toBe(200);
    const others = await app.request('GET', '/v1/volunteers', { token });
    expect(others.status).toBe(403);

    const stranger = await providerAccessToken(subject('henry'));
    const refused = await app.request('GET', '/v1/sessions', { token: stranger });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('identity_not_linked');

    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${signature}`;
    expect((await app.request('GET', '/v1/sessions', { token: forged })).status).toBe(401);
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    expect((await app.request('GET', '/v1/sessions', { token: noneAlg })).status).toBe(401);
    // Our own tokens keep working beside them.
    expect((await app.request('GET', '/v1/sessions', { token: f.adminToken })).status).toBe(200);

    await app.request('POST', `/v1/volunteers/${volunteer.body.id}/deactivate`, { token: f.adminToken });
    expect((await app.request('GET', `/v1/volunteers/${volunteer.body.id}/balance`, { token })).status).toBe(401);
  });

  it('with another audience are refused', async () => {
    const other = await startTestApp({
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_AUDIENCE: 'some-other-api',
    });
    try {
      const ivy = subject('ivy');
      await other.request('POST', '/v1/volunteers', { token: await other.token('admin', 'a'), body: { name: 'ivy', orgUnitId: unit.id, externalSubject: ivy } });
      const res = await other.request('GET', '/v1/sessions', { token: await providerAccessToken(ivy) });
      expect(res.status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe('the provider rotating its keys', () => {
  it('a token signed with a key not seen before makes the service fetch the keys again', async () => {
    // A provider of its own, restarted on the same address with a new key.
    let rotating = await startProvider(`${publicUrl}/auth/oidc/callback`);
    const port = new URL(rotating.issuer).port;
    const rotated = await startTestApp({
      OIDC_ISSUER: rotating.issuer,
      OIDC_CLIENT_ID: rotating.clientId,
      OIDC_CLIENT_SECRET: rotating.clientSecret,
      OIDC_AUDIENCE: rotating.audience,
      OIDC_JWKS_REFRESH_MIN_SECONDS: '0',
    });
    try {
      const jane = subject('jane');
      const admin = await rotated.token('admin', 'a');
      const created = await rotated.request('POST', '/v1/volunteers', { token: admin, body: { name: 'jane', orgUnitId: unit.id, externalSubject: jane } });
      expect(created.status).toBe(201);
      const before = await providerAccessToken(jane, rotating);
      expect((await rotated.request('GET', '/v1/sessions', { token: before })).status).toBe(200);
      await rotating.close();
      rotating = await startProvider(`${publicUrl}/auth/oidc/callback`, { port: Number(port) });
      const after = await providerAccessToken(jane, rotating);
      const kid = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid;
      expect(kid(after)).not.toBe(kid(before));
      expect((await rotated.request('GET', '/v1/sessions', { token: after })).status).toBe(200);
    } finally {
      await rotated.close();
      await rotating.close();
    }
  });
});
