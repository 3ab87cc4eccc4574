import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { isPublicOperation } from '../src/http/middleware.js';
import { startTestApp, type TestApp } from './support/app.js';
import type { Factory } from './support/factories.js';
import { useTestApp } from './support/setup.js';

let app: TestApp;
let f: Factory;

useTestApp({ env: { BODY_LIMIT_BYTES: '2048' } }, (started) => ({ app, f } = started));

describe('HTTP basics', () => {
  it('echoes a caller-supplied request id and mints one otherwise', async () => {
    const given = await app.request('GET', '/healthz', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const minted = await app.request('GET', '/healthz');
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await app.request('GET', '/healthz', { headers: { 'x-request-id': 'a "b" <c>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown paths with 404 problem+json and wrong methods with 405 and Allow', async () => {
    const missing = await app.request('GET', '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body).toMatchObject({ code: 'not_found', status: 404, type: 'urn:jifen:problem:not_found' });
    expect(typeof missing.body.title).toBe('string');
    expect(typeof missing.body.detail).toBe('string');
    const wrong = await app.request('DELETE', '/v1/org-units', { token: f.adminToken });
    expect(wrong.status).toBe(405);
    expect(wrong.body.code).toBe('method_not_allowed');
    expect(wrong.headers.get('allow')).toContain('POST');
    const wrongPublic = await app.request('POST', '/healthz');
    expect(wrongPublic.status).toBe(405);
  });

  it('refuses bodies over the limit with 413, declared or chunked', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(5000) });
    const declared = await app.request('POST', '/v1/org-units', { token: f.adminToken, raw: big });
    expect(declared.status).toBe(413);
    expect(declared.body.code).toBe('payload_too_large');
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(500)));
        controller.close();
      },
    });
    const chunked = await fetch(`${app.baseUrl}/v1/org-units`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.adminToken}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('refuses malformed JSON and non-JSON bodies without writing', async () => {
    const malformed = await app.request('POST', '/v1/org-units', { token: f.adminToken, raw: '{"name": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('validation_failed');
    const form = await app.request('POST', '/v1/org-units', { token: f.adminToken, raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const empty = await app.request('POST', '/v1/org-units', { token: f.adminToken, headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
  });

  it('refuses a NUL character in any body string with 400 naming the field, writing nothing', async () => {
    const volunteer = await f.volunteer((await f.orgUnit()).id);
    const before = (await app.request('GET', '/v1/org-units?limit=200', { token: f.adminToken })).body.items.length;
    const named = await app.request('POST', '/v1/org-units', { token: f.adminToken, body: { name: 'a\u0000b' } });
    expect(named.status).toBe(400);
    expect(named.body.code).toBe('validation_failed');
    expect(named.body.errors).toEqual([{ path: 'name', message: expect.stringContaining('NUL') }]);
    const awarded = await app.request('POST', '/v1/awards', { token: f.adminToken, body: { volunteerId: volunteer.id, points: 5, reason: 'x\u0000' }, headers: { 'idempotency-key': 'nul-award' } });
    expect(awarded.status).toBe(400);
    expect(awarded.body.errors[0].path).toBe('reason');
    const reversed = await app.request('POST', '/v1/transactions/01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f/reverse', { token: f.adminToken, body: { reason: '\u0000' }, headers: { 'idempotency-key': 'nul-reverse' } });
    expect(reversed.status).toBe(400);
    expect((await app.request('GET', '/v1/org-units?limit=200', { token: f.adminToken })).body.items.length).toBe(before);
    expect((await app.request('GET', `/v1/volunteers/${volunteer.id}/balance`, { token: f.adminToken })).body.balance).toBe(0);
  });

  it('serves a valid OpenAPI 3.1 document describing every route with its errors', async () => {
    const doc = await app.request('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of ['/v1/org-units', '/v1/organisers', '/v1/volunteers', '/v1/merchants', '/v1/volunteers/{id}', '/healthz', '/readyz']) {
      expect(doc.body.paths[path], path).toBeDefined();
    }
    for (const [path, item] of Object.entries<any>(doc.body.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        if (path.startsWith('/v1/') && isPublicOperation(method.toUpperCase(), path)) {
          expect(op.security, `${method} ${path} is public`).toEqual([]);
        } else if (path.startsWith('/v1/')) {
          expect(op.responses['401'], `${method} ${path} documents 401`).toBeDefined();
          expect(op.security, `${method} ${path} declares bearer or session security`).toEqual([{ bearer: [] }, { session: [] }]);
        }
      }
    }
  });

  it('serves the API reference page and its assets itself, with no CDN', async () => {
    const page = await app.request('GET', '/docs');
    expect(page.status).toBe(200);
    const html: string = page.body;
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(2);
    for (const src of sources) {
      expect(src.startsWith('/'), `${src} is local`).toBe(true);
      const asset = await fetch(`${app.baseUrl}${src}`);
      expect(asset.status, src).toBe(200);
      await asset.arrayBuffer();
    }
  });

  it('exposes Prometheus metrics with request counts by route pattern', async () => {
    await app.request('GET', '/v1/org-units', { token: f.adminToken });
    const metrics = await app.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('jifen_http_requests_total{method="GET",route="/v1/org-units",status="200"}');
    expect(metrics.body).toContain('jifen_http_request_duration_seconds_bucket');
  });

  it('reports ready, and not ready while draining', async () => {
    expect((await app.request('GET', '/readyz')).status).toBe(200);
    app.deps.lifecycle.draining = true;
    try {
      const draining = await app.request('GET', '/readyz');
      expect(draining.status).toBe(503);
      expect(draining.body.draining).toBe(true);
    } finally {
      app.deps.lifecycle.draining = false;
    }
  });

  it('rejects a forged cursor that decodes but is not an id this endpoint issued', async () => {
    const cursor = Buffer.from(JSON.stringify(['not-a-uuid'])).toString('base64url');
    const res = await app.request('GET', `/v1/org-units?cursor=${cursor}`, { token: f.adminToken });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('cursor');
  });

  it('never shows internals in a 500', async () => {
    const inProcess = buildApp(app.deps);
    inProcess.get('/boom', () => {
      throw new Error('secret detail from deep inside');
    });
    const res = await inProcess.request('/boom', { headers: { 'x-request-id': 'boom-1' } });
    expect(res.status).toBe(500);
    const body = await res.json();
    expect(body).toEqual({
      type: 'urn:jifen:problem:internal_error',
      title: 'Internal server error',
      status: 500,
      detail: 'internal error; quote request id boom-1',
      code: 'internal_error',
      requestId: 'boom-1',
    });
  });
});

describe('limits', () => {
  it('answers 429 with Retry-After once a caller exceeds its rate, per caller', async () => {
    const limited = await startTestApp({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
    try {
      const token = await limited.token('admin', 'hasty');
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.request('GET', '/v1/org-units', { token })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await limited.request('GET', '/v1/org-units', { token });
      expect(refused.body.code).toBe('rate_limited');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const other = await limited.token('admin', 'patient');
      expect((await limited.request('GET', '/v1/org-units', { token: other })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('answers 503 with Retry-After instead of hanging when no connection frees up', async () => {
    const starved = await startTestApp({ DB_POOL_MAX: '1', DB_ACQUIRE_TIMEOUT_MS: '200' });
    const hog = await starved.deps.database.db.connection().execute(async (connection) => {
      const token = await starved.token('admin', 'ops');
      const started = Date.now();
      const res = await starved.request('GET', '/v1/org-units', { token });
      return { res, ms: Date.now() - started, connection };
    });
    try {
      expect(hog.res.status).toBe(503);
      expect(hog.res.body.code).toBe('service_unavailable');
      expect(hog.res.headers.get('retry-after')).toBe('1');
      expect(hog.ms).toBeLessThan(3000);
      const token = await starved.token('admin', 'ops');
      expect((await starved.request('GET', '/v1/org-units', { token })).status).toBe(200);
    } finally {
      await starved.close();
    }
  });

  it('reports unready and answers 503 while the database is unreachable', async () => {
    const down = await startTestApp({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere', DB_CONNECT_TIMEOUT_SECONDS: '1' });
    try {
      const ready = await down.request('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.database).toBe('unreachable');
      const token = await down.token('organiser', '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f');
      const res = await down.request('GET', '/v1/org-units', { token });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).not.toBeNull();
    } finally {
      await down.close();
    }
  });
});
