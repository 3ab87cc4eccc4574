import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../deps.js';
import { DomainError } from '../errors.js';
import { IdParam, ProblemSchema, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, publicErrorResponses } from '../http/openapi.js';
import { clearSessionCookie } from '../http/session-cookie.js';
import {
  CreateSignInCodeBody,
  CurrentSessionSchema,
  RevokeSessionsBody,
  RevokedSchema,
  SessionListSchema,
  SignInBody,
  SignInCodeSchema,
  SignInOptionsSchema,
  SignedInSchema,
} from './schemas.js';
import { currentSession, endOwnSession, issueSignInCode, listOwnSessions, revokeSessions } from './service.js';
import { signInBrowser } from './transport.js';

const tags = ['Sign-in'];
const setCookieHeader = {
  'set-cookie': { description: 'jifen_session=…; HttpOnly; SameSite=Lax; Path=/ (and Secure when the service is reached over https)', schema: { type: 'string' as const } },
};

const createCode = createRoute({
  method: 'post',
  path: '/v1/sign-in-codes',
  tags,
  summary: 'Issue a one-time sign-in code (admin: anyone; organiser: volunteers in scope)',
  security: bearerSecurity,
  request: jsonBody(CreateSignInCodeBody),
  responses: {
    201: jsonContent(SignInCodeSchema, 'The code (shown once; only its hash is kept) and the sign-in link carrying it'),
    ...errorResponses('forbidden', 'not_found', 'inactive', 'csrf_refused', 'payload_too_large', 'unsupported_media_type'),
  },
});

const signIn = createRoute({
  method: 'post',
  path: '/v1/sessions',
  tags,
  summary: 'Sign in with a code: opens a browser session (no authentication); also links a provider identity waiting in the jifen_oidc_link cookie',
  security: [],
  request: jsonBody(SignInBody),
  responses: {
    201: { ...jsonContent(SignedInSchema, 'Signed in; the session cookie is set'), headers: setCookieHeader },
    401: {
      description: 'sign_in_code_invalid: an unknown, used or expired code, or one naming someone deactivated (one answer for all)',
      content: { 'application/problem+json': { schema: ProblemSchema } },
    },
    ...publicErrorResponses('csrf_refused', 'payload_too_large', 'unsupported_media_type'),
  },
});

const current = createRoute({
  method: 'get',
  path: '/v1/sessions/current',
  tags,
  summary: 'The session this request was made with: who is signed in, until when',
  security: bearerSecurity,
  responses: { 200: jsonContent(CurrentSessionSchema, 'The current session'), ...errorResponses('not_found') },
});

const endCurrent = createRoute({
  method: 'delete',
  path: '/v1/sessions/current',
  tags,
  summary: 'Sign out: end the current session and clear its cookie',
  security: bearerSecurity,
  responses: { 204: { description: 'Signed out; the cookie is cleared', headers: setCookieHeader }, ...errorResponses('not_found', 'csrf_refused') },
});

const list = createRoute({
  method: 'get',
  path: '/v1/sessions',
  tags,
  summary: 'The caller\'s own live sessions, newest first',
  security: bearerSecurity,
  responses: { 200: jsonContent(SessionListSchema, 'Own sessions'), ...errorResponses() },
});

const endOne = createRoute({
  method: 'delete',
  path: '/v1/sessions/{id}',
  tags,
  summary: 'End one of the caller\'s own sessions',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 204: { description: 'Ended (the cookie is cleared if it was the current one)' }, ...errorResponses('not_found', 'csrf_refused') },
});

const revoke = createRoute({
  method: 'post',
  path: '/v1/sessions/revoke',
  tags,
  summary: 'End all of a person\'s sessions and void its unused code (admin: anyone; organiser: volunteers in scope)',
  security: bearerSecurity,
  request: jsonBody(RevokeSessionsBody),
  responses: {
    200: jsonContent(RevokedSchema, 'How many sessions ended and codes were voided'),
    ...errorResponses('forbidden', 'not_found', 'csrf_refused', 'payload_too_large', 'unsupported_media_type'),
  },
});

const options = createRoute({
  method: 'get',
  path: '/v1/sign-in-options',
  tags,
  summary: 'How people may sign in here (no authentication): codes, and the identity provider if configured',
  security: [],
  responses: { 200: jsonContent(SignInOptionsSchema, 'Sign-in options'), ...publicErrorResponses() },
});

export function sessionRoutes(deps: Deps) {
  const publicUrl = deps.config.PUBLIC_URL;
  return createRouter()
    .openapi(createCode, async (c) => c.json(await issueSignInCode(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(signIn, async (c) => {
      const body = c.req.valid('json');
      const signedIn = await signInBrowser(c, deps, { code: body.code, deviceLabel: body.deviceLabel });
      return c.json({ principal: signedIn.principal, expiresAt: signedIn.expiresAt, identityLinked: signedIn.identityLinked }, 201);
    })
    .openapi(current, async (c) => c.json(await currentSession(deps, c.get('actor'), c.get('session')), 200))
    .openapi(endCurrent, async (c) => {
      const session = c.get('session');
      if (!session) throw new DomainError('not_found', 'this request carries no session cookie (bearer tokens are not sessions)');
      await endOwnSession(deps, c.get('actor'), session.id);
      clearSessionCookie(c, publicUrl);
      return c.body(null, 204);
    })
    .openapi(list, async (c) => c.json(await listOwnSessions(deps, c.get('actor'), c.get('session')?.id), 200))
    .openapi(endOne, async (c) => {
      const id = c.req.valid('param').id.toLowerCase();
      await endOwnSession(deps, c.get('actor'), id);
      if (c.get('session')?.id === id) clearSessionCookie(c, publicUrl);
      return c.body(null, 204);
    })
    .openapi(revoke, async (c) => c.json(await revokeSessions(deps, c.get('actor'), c.req.valid('json').principalId), 200))
    .openapi(options, (c) => c.json({ codes: true as const, oidc: deps.oidc ? { displayName: deps.oidc.displayName, startUrl: '/auth/oidc/start' } : null }, 200));
}
