import { expect } from 'vitest';
import type { ApiResponse, RequestOptions, TestApp } from './app.js';

/** The value of the jifen_session cookie a response sets ('' when it clears it), or undefined. */
export function sessionCookieFrom(res: { headers: Headers }): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const match = /^jifen_session=([^;]*)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

export function setCookieLine(res: { headers: Headers }, name = 'jifen_session'): string | undefined {
  return res.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

/** Issues a sign-in code as `token` (201 expected) and returns it. */
export async function issueCode(app: TestApp, token: string, role: string, principalId: string): Promise<{ code: string; url: string; expiresAt: string }> {
  const res = await app.request('POST', '/v1/sign-in-codes', { token, body: { role, principalId } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Signs in with a code over HTTP and returns the session cookie's value. */
export async function signIn(app: TestApp, code: string, headers: Record<string, string> = {}): Promise<{ cookie: string; res: ApiResponse }> {
  const res = await app.request('POST', '/v1/sessions', { body: { code }, headers });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const cookie = sessionCookieFrom(res);
  expect(cookie).toBeTruthy();
  return { cookie: cookie!, res };
}

/** A request carrying the session cookie, from the service's own origin unless told otherwise. */
export function withCookie(app: TestApp, cookie: string, method: string, path: string, options: RequestOptions & { origin?: string | null } = {}) {
  const headers: Record<string, string> = { cookie: `jifen_session=${cookie}`, ...(options.headers ?? {}) };
  if (options.origin !== null) headers.origin = options.origin ?? app.baseUrl;
  return app.request(method, path, { ...options, headers });
}
