import { decodeJwt, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

useTestApp({}, (started) => ({ app, f } = started));

const now = () => Math.floor(Date.now() / 1000);

async function expect401(token: string | undefined, header?: string) {
  const headers: Record<string, string> = header ? { authorization: header } : {};
  const res = await app.request('GET', '/v1/org-units', { token, headers });
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.code).toBe('unauthorized');
  return res;
}

describe('bearer tokens', () => {
  it('accept a minted admin token', async () => {
    expect((await app.request('GET', '/v1/org-units', { token: f.adminToken })).status).toBe(200);
  });

  it('refuse a missing or malformed Authorization header', async () => {
    await expect401(undefined);
    await expect401(undefined, 'Basic dXNlcjpwYXNz');
    await expect401(undefined, 'Bearer ');
    await expect401(undefined, 'Bearer not a token');
  });

  it('refuse an expired token', async () => {
    const key = app.deps.accessTokens.ring.signing!;
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
      .setSubject('ops')
      .setIssuer(app.deps.config.TOKEN_ISSUER)
      .setAudience(app.deps.config.TOKEN_AUDIENCE)
      .setIssuedAt(now() - 7200)
      .setExpirationTime(now() - 3600)
      .sign(key.key);
    await expect401(token);
  });

  it('accept a token just past expiry within the clock tolerance', async () => {
    const key = app.deps.accessTokens.ring.signing!;
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setSubject('ops')
      .setIssuer(app.deps.config.TOKEN_ISSUER)
      .setAudience(app.deps.config.TOKEN_AUDIENCE)
      .setIssuedAt(now() - 600)
      .setExpirationTime(now() - 5)
      .sign(key.key);
    expect((await app.request('GET', '/v1/org-units', { token })).status).toBe(200);
  });

  it('stop accepting a token once it expires, even after it verified before', async () => {
    const strict = await startTestApp({ CLOCK_TOLERANCE_SECONDS: '0' });
    try {
      // exp is whole seconds: a 1 s lifetime can leave only milliseconds on a
      // busy machine, so give it 3 s and then wait until exp has truly passed.
      const token = await strict.token('admin', 'ops', 3);
      expect((await strict.request('GET', '/v1/org-units', { token })).status).toBe(200);
      const { exp } = decodeJwt(token);
      await new Promise((resolve) => setTimeout(resolve, exp! * 1000 - Date.now() + 1100));
      expect((await strict.request('GET', '/v1/org-units', { token })).status).toBe(401);
    } finally {
      await strict.close();
    }
  });

  it('refuse a token signed by another key, even with a known kid', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: app.deps.accessTokens.ring.signing!.kid })
      .setSubject('ops')
      .setIssuer(app.deps.config.TOKEN_ISSUER)
      .setAudience(app.deps.config.TOKEN_AUDIENCE)
      .setExpirationTime('1h')
      .sign(privateKey);
    await expect401(token);
  });

  it('refuse alg none', async () => {
    const token = new UnsecuredJWT({ role: 'admin' })
      .setSubject('ops')
      .setIssuer(app.deps.config.TOKEN_ISSUER)
      .setAudience(app.deps.config.TOKEN_AUDIENCE)
      .setExpirationTime('1h')
      .encode();
    await expect401(token);
  });

  it('refuse another algorithm (ES256) even when correctly signed', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: app.deps.accessTokens.ring.signing!.kid })
      .setSubject('ops')
      .setIssuer(app.deps.config.TOKEN_ISSUER)
      .setAudience(app.deps.config.TOKEN_AUDIENCE)
      .setExpirationTime('1h')
      .sign(privateKey);
    await expect401(token);
  });

  it('refuse a wrong audience, a wrong issuer, or no expiry', async () => {
    const key = app.deps.accessTokens.ring.signing!;
    const base = (aud: string, iss: string) =>
      new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).setSubject('ops').setIssuer(iss).setAudience(aud);
    await expect401(await base('someone-else', app.deps.config.TOKEN_ISSUER).setExpirationTime('1h').sign(key.key));
    await expect401(await base(app.deps.config.TOKEN_AUDIENCE, 'evil').setExpirationTime('1h').sign(key.key));
    await expect401(await base(app.deps.config.TOKEN_AUDIENCE, app.deps.config.TOKEN_ISSUER).sign(key.key));
  });

  it('refuse an unknown role or a principal that does not exist', async () => {
    const key = app.deps.accessTokens.ring.signing!;
    const token = await new SignJWT({ role: 'superuser' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setSubject('ops')
      .setIssuer(app.deps.config.TOKEN_ISSUER)
      .setAudience(app.deps.config.TOKEN_AUDIENCE)
      .setExpirationTime('1h')
      .sign(key.key);
    await expect401(token);
    await expect401(await app.token('volunteer', '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f'));
    await expect401(await app.token('organiser', 'not-a-uuid'));
    await expect401(await app.token('merchant', '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f'));
  });

  it('resolve many principals looked up at once, each by its own standing', async () => {
    // Lookups made in the same moment go to the database together (one query per role); each
    // caller must still get the answer for its own principal.
    const unit = await f.orgUnit();
    const volunteers = await Promise.all(Array.from({ length: 12 }, () => f.volunteer(unit.id)));
    const shop = await f.merchant();
    const [deactivated] = volunteers;
    expect((await app.request('POST', `/v1/volunteers/${deactivated!.id}/deactivate`, { token: f.adminToken })).status).toBe(200);
    const callers = [
      ...volunteers.map((v) => ({ role: 'volunteer' as const, sub: v.id, expected: v === deactivated ? 401 : 200 })),
      { role: 'volunteer' as const, sub: volunteers[1]!.id.toUpperCase(), expected: 200 },
      { role: 'volunteer' as const, sub: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f', expected: 401 },
      { role: 'merchant' as const, sub: shop.id, expected: 200 },
      { role: 'merchant' as const, sub: volunteers[2]!.id, expected: 401 },
    ];
    const results = await Promise.all(
      callers.map(async (c) => (await app.request('GET', '/v1/merchants', { token: await app.token(c.role, c.sub) })).status),
    );
    expect(results).toEqual(callers.map((c) => c.expected));
  });

  it('give a wrong role 403, not 401', async () => {
    const unit = await f.orgUnit();
    const vol = await f.volunteer(unit.id);
    const res = await app.request('POST', '/v1/merchants', { token: await app.token('volunteer', vol.id), body: { name: 'x' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
  });

  it('verify with any of several configured keys, so keys can rotate', async () => {
    const oldKey = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const newKey = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const { exportJWK } = await import('jose');
    const jwks = { keys: [{ ...(await exportJWK(oldKey.publicKey)), kid: 'old' }, { ...(await exportJWK(newKey.publicKey)), kid: 'new' }] };
    const rotated = await startTestApp({ ACCESS_TOKEN_JWKS: JSON.stringify(jwks) });
    try {
      const sign = (key: typeof oldKey.privateKey, kid: string) =>
        new SignJWT({ role: 'admin' })
          .setProtectedHeader({ alg: 'EdDSA', kid })
          .setSubject('ops')
          .setIssuer(rotated.deps.config.TOKEN_ISSUER)
          .setAudience(rotated.deps.config.TOKEN_AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(key);
      expect((await rotated.request('GET', '/v1/org-units', { token: await sign(oldKey.privateKey, 'old') })).status).toBe(200);
      expect((await rotated.request('GET', '/v1/org-units', { token: await sign(newKey.privateKey, 'new') })).status).toBe(200);
      expect((await rotated.request('GET', '/v1/org-units', { token: await sign(newKey.privateKey, 'old') })).status).toBe(401);
      // The rotated app has no private key in its configuration, so it cannot mint; the default file keys are not trusted either.
      expect((await rotated.request('GET', '/v1/org-units', { token: f.adminToken })).status).toBe(401);
    } finally {
      await rotated.close();
    }
  });
});
