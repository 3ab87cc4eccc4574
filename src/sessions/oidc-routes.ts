import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import * as client from 'openid-client';
import type { Oidc } from '../auth/oidc.js';
import { sessionCookieName } from '../auth/sessions.js';
import type { Deps } from '../deps.js';
import { DomainError, notFound, validationFailed } from '../errors.js';
import { createRouter, publicErrorResponses, z } from '../http/openapi.js';
import { setSessionCookie } from '../http/session-cookie.js';
import { deviceLabelFrom } from './device.js';
import { endSession, homePaths, signInWithProvider } from './service.js';
import { clearPendingIdentity, linkCookieTtlSeconds, setPendingIdentity, signInOutcome } from './transport.js';

/**
 * Signing in at the programme's OpenID Connect provider: the authorization code flow with PKCE,
 * through openid-client. The login in progress (state, nonce, PKCE verifier) waits in a short-lived
 * signed cookie scoped to /auth/oidc; the flow ends in the same session cookie a sign-in code gives.
 */

const loginCookieName = 'jifen_oidc';
const loginCookiePath = '/auth/oidc';
/** How long a person may spend at the provider before the login must start again. */
const loginTtlSeconds = 10 * 60;

const tags = ['Sign-in'];
const location = { location: { description: 'Where the browser goes next', schema: { type: 'string' as const } } };

const start = createRoute({
  method: 'get',
  path: '/auth/oidc/start',
  tags,
  summary: 'Sign in at the programme\'s identity provider: redirects there (authorization code flow with PKCE)',
  security: [],
  responses: {
    302: { description: 'To the provider\'s authorization endpoint; the login in progress is kept in a signed cookie', headers: location },
    ...publicErrorResponses('not_found'),
  },
});

const CallbackQuery = z.object({
  code: z.string().max(4096).optional().openapi({ param: { name: 'code', in: 'query' } }),
  state: z.string().max(4096).optional().openapi({ param: { name: 'state', in: 'query' } }),
  error: z.string().max(4096).optional().openapi({ param: { name: 'error', in: 'query' } }),
});

const callback = createRoute({
  method: 'get',
  path: '/auth/oidc/callback',
  tags,
  summary: 'Where the provider sends the browser back: opens a session and goes to the person\'s home page',
  security: [],
  request: { query: CallbackQuery },
  responses: {
    303: { description: 'Signed in: the session cookie is set; to /app/wallet, /app/counter, /app/desk or /app/office by role', headers: location },
    401: { description: 'unauthorized: the provider refused, or its answer did not check out', content: { 'application/problem+json': { schema: z.object({}).passthrough() } } },
    403: {
      description: 'identity_not_linked: the identity is linked to nobody here (it waits 15 minutes for a sign-in code to link it); forbidden: its person is inactive',
      content: { 'application/problem+json': { schema: z.object({}).passthrough() }, 'text/html': { schema: z.string() } },
    },
    ...publicErrorResponses('not_found'),
  },
});

function requireOidc(oidc: Oidc | undefined): Oidc {
  if (!oidc) throw notFound('identity provider (none is configured; sign in with a code)');
  return oidc;
}

export function oidcRoutes(deps: Deps) {
  const publicUrl = deps.config.PUBLIC_URL;
  const redirectUri = `${publicUrl}/auth/oidc/callback`;
  const loginCookie = { httpOnly: true, sameSite: 'Lax', path: loginCookiePath, secure: publicUrl.startsWith('https:') } as const;

  return createRouter()
    .openapi(start, async (c) => {
      const oidc = requireOidc(deps.oidc);
      const configuration = await oidc.configuration();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      setCookie(c, loginCookieName, await oidc.seal('login', { state, nonce, verifier }, loginTtlSeconds), { ...loginCookie, maxAge: loginTtlSeconds });
      const url = client.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return c.redirect(url.href, 302);
    })
    .openapi(callback, async (c) => {
      const oidc = requireOidc(deps.oidc);
      const sealed = getCookie(c, loginCookieName);
      const login = sealed ? await oidc.open('login', sealed) : undefined;
      deleteCookie(c, loginCookieName, loginCookie);
      if (!login) throw validationFailed([{ path: 'state', message: 'this sign-in did not start in this browser, or took longer than 10 minutes: start again' }]);
      const configuration = await oidc.configuration();
      // The address the provider sent the browser to, as registered with it (not as the proxy saw it).
      const currentUrl = new URL(`${redirectUri}${new URL(c.req.url).search}`);
      let claims: client.IDToken | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
          pkceCodeVerifier: login.verifier,
          expectedState: login.state,
          expectedNonce: login.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        if (error instanceof client.AuthorizationResponseError) throw new DomainError('unauthorized', `the identity provider did not sign you in (${error.error})`);
        if (error instanceof client.ResponseBodyError || error instanceof client.ClientError) throw new DomainError('unauthorized', 'the identity provider\'s answer did not check out; start again');
        throw new DomainError('service_unavailable', 'the identity provider could not be reached; try again shortly', {}, 30);
      }
      if (!claims) throw new DomainError('unauthorized', 'the identity provider sent no ID token');
      const identity = { issuer: claims.iss, subject: claims.sub };
      try {
        const signedIn = await signInWithProvider(deps, identity, deviceLabelFrom(c.req.header('user-agent')));
        const previous = getCookie(c, sessionCookieName);
        if (previous) await endSession(deps, previous);
        clearPendingIdentity(c, deps);
        setSessionCookie(c, publicUrl, signedIn.secret, new Date(signedIn.expiresAt));
        deps.metrics.signIns.inc({ method: 'oidc', outcome: 'ok' });
        return c.redirect(homePaths[signedIn.principal.role], 303);
      } catch (error) {
        if (error instanceof DomainError) deps.metrics.signIns.inc({ method: 'oidc', outcome: signInOutcome(error) });
        if (!(error instanceof DomainError) || error.code !== 'identity_not_linked') throw error;
        await setPendingIdentity(c, deps, identity);
        if ((c.req.header('accept') ?? '').includes('text/html')) return c.html(notLinkedPage(c), 403);
        throw error;
      }
    });
}

/** The page a person sees when the provider knows them but nobody here does yet. No script, no styles from elsewhere. */
function notLinkedPage(c: Context): string {
  const minutes = linkCookieTtlSeconds / 60;
  const english = /^en\b/i.test(c.req.header('accept-language') ?? '');
  const [title, body, action] = english
    ? ['Your account is not linked yet', `You signed in at the identity provider, but this programme does not know that account yet. Within ${minutes} minutes, sign in once with the sign-in code your organiser gives you: the two are then linked, and next time the provider is enough.`, 'Sign in with a code']
    : ['您的账号尚未关联', `您已在统一身份认证登录，但本平台还不认识这个账号。请在 ${minutes} 分钟内用社区工作人员给您的登录码登录一次，两者即会关联，以后直接用统一身份认证登录即可。`, '用登录码登录'];
  return `<!doctype html>
<html lang="${english ? 'en' : 'zh-CN'}" data-code="identity_not_linked">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>body{font:18px/1.6 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}a{display:inline-block;min-height:44px;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border-radius:6px;text-decoration:none}</style></head>
<body><main><h1>${title}</h1><p>${body}</p><p><a href="/app/sign-in">${action}</a></p></main></body>
</html>`;
}
