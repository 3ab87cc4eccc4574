import { createRoute } from '@hono/zod-openapi';
import type { Deps } from '../deps.js';
import { ping } from '../db/database.js';
import { createRouter, jsonContent, publicErrorResponses, z } from '../http/openapi.js';

const Health = z.object({ status: z.literal('ok') }).openapi('Health');
const Readiness = z
  .object({ status: z.enum(['ready', 'unavailable']), database: z.enum(['ok', 'unreachable']), draining: z.boolean() })
  .openapi('Readiness');

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  security: [],
  tags: ['Operations'],
  summary: 'Liveness: the process is serving',
  responses: { ...publicErrorResponses(), 200: jsonContent(Health, 'Alive') },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  security: [],
  tags: ['Operations'],
  summary: 'Readiness: the database answers and the process is not draining',
  responses: { ...publicErrorResponses(), 200: jsonContent(Readiness, 'Ready'), 503: jsonContent(Readiness, 'Not ready: database unreachable or shutting down') },
});

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  security: [],
  tags: ['Operations'],
  summary: 'Prometheus metrics',
  responses: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } }, ...publicErrorResponses() },
});

const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi('JWKS');

const jwks = createRoute({
  method: 'get',
  path: '/.well-known/jwks.json',
  security: [],
  tags: ['Operations'],
  summary: 'Public keys that verify redemption tokens and service certificates (by kid), for offline checks',
  responses: { ...publicErrorResponses(), 200: jsonContent(Jwks, 'A JSON Web Key Set') },
});

/** How long a readiness probe waits for the database before calling it unreachable. */
const readinessTimeoutMs = 2000;

export function systemRoutes(deps: Deps) {
  return createRouter()
    .openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyz, async (c) => {
      let database: 'ok' | 'unreachable' = 'ok';
      try {
        await Promise.race([
          ping(deps.db),
          new Promise((_, reject) => setTimeout(() => reject(new Error('readiness ping timed out')), readinessTimeoutMs).unref()),
        ]);
      } catch {
        database = 'unreachable';
      }
      const draining = deps.lifecycle.draining;
      const ready = database === 'ok' && !draining;
      return c.json({ status: ready ? ('ready' as const) : ('unavailable' as const), database, draining }, ready ? 200 : 503);
    })
    .openapi(jwks, (c) => {
      c.header('cache-control', 'public, max-age=300');
      return c.json({ keys: deps.documentKeys.publicJwks() }, 200);
    })
    .openapi(metrics, async (c) => c.text(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));
}
