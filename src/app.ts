import { OpenAPIHono } from '@hono/zod-openapi';
import { except } from 'hono/combine';
import type { Deps } from './deps.js';
import { DomainError } from './errors.js';
import type { AppEnv } from './http/env.js';
import { authenticate, rateLimit, readJsonBody, requestContext } from './http/middleware.js';
import { declareBodyRefusals, declareCredentialRefusals } from './http/openapi.js';
import { handleError, problemResponse } from './http/problem.js';
import { isPageUrl } from './http/server.js';
import { activityRoutes } from './activities/routes.js';
import { activityTypeRoutes } from './activitytypes/routes.js';
import { merchantRoutes } from './merchants/routes.js';
import { organiserRoutes } from './organisers/routes.js';
import { orgUnitRoutes } from './orgunits/routes.js';
import { packRoutes } from './packs/routes.js';
import { pointRoutes } from './points/routes.js';
import { postRoutes } from './posts/routes.js';
import { recordRoutes } from './records/routes.js';
import { redemptionRoutes } from './redemptions/routes.js';
import { oidcRoutes } from './sessions/oidc-routes.js';
import { sessionRoutes } from './sessions/routes.js';
import { settlementRoutes } from './settlements/routes.js';
import { reportRoutes } from './reports/routes.js';
import { digestRoutes } from './digests/routes.js';
import { pageRoutes } from './pages/routes.js';
import { docsRoutes } from './system/docs.js';
import { systemRoutes } from './system/routes.js';
import { volunteerRoutes } from './volunteers/routes.js';
import { wishRoutes } from './wishes/routes.js';

export const apiVersion = '0.1.0';

/**
 * Builds the HTTP application. No I/O happens here: every dependency arrives ready in `deps`, so
 * a test can build as many apps as it likes against one database.
 */
export function buildApp(deps: Deps) {
  const app = new OpenAPIHono<AppEnv>();
  // Programme-wide gauges (ledger transactions, redemptions, pool use) read this database on scrape.
  deps.metrics.attachDatabase(deps.database);
  app.use('*', requestContext(deps.logger, deps.metrics));
  // The pages (/app/) take HTML forms, read by their own routes; everything else takes JSON. (The
  // security headers every answer carries are set where it is served: src/http/server.ts.)
  const pages = (c: { req: { path: string } }) => isPageUrl(c.req.path);
  // Which method and path some route answers, known once every route is registered below.
  let allowedMethods: (path: string) => string[] = () => [];
  app.use('*', except(pages, readJsonBody({ maxBytes: deps.config.BODY_LIMIT_BYTES, answers: (method, path) => allowedMethods(path).includes(method) })));
  app.use('/v1/*', authenticate({ principals: deps.principals, tokens: deps.accessTokens, sessions: deps.sessions, oidc: deps.oidc, publicUrl: deps.config.PUBLIC_URL }));
  app.use('/v1/*', rateLimit(deps.config.RATE_LIMIT_PER_SECOND, deps.config.RATE_LIMIT_BURST));

  app.route('/', systemRoutes(deps));
  app.route('/', docsRoutes());
  app.route('/', orgUnitRoutes(deps));
  app.route('/', organiserRoutes(deps));
  app.route('/', volunteerRoutes(deps));
  app.route('/', merchantRoutes(deps));
  app.route('/', pointRoutes(deps));
  app.route('/', activityTypeRoutes(deps));
  app.route('/', activityRoutes(deps));
  app.route('/', recordRoutes(deps));
  app.route('/', packRoutes(deps));
  app.route('/', redemptionRoutes(deps));
  app.route('/', settlementRoutes(deps));
  app.route('/', reportRoutes(deps));
  app.route('/', digestRoutes(deps));
  app.route('/', postRoutes(deps));
  app.route('/', wishRoutes(deps));
  app.route('/', sessionRoutes(deps));
  app.route('/', oidcRoutes(deps));
  app.route('/', pageRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'jifen_session',
    description: 'The browser session opened by POST /v1/sessions; writes with it must come from this service\'s own origin',
  });
  const document = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'jifen volunteer points ledger',
      version: apiVersion,
      description: 'Volunteer points and incentive ledger. Errors are RFC 9457 problem+json with a stable `code`.',
    },
    servers: [{ url: '/' }],
  });
  nameOperations((document.paths ?? {}) as unknown as Record<string, Record<string, unknown>>);
  declareBodyRefusals((document.paths ?? {}) as unknown as Record<string, Record<string, unknown>>);
  declareCredentialRefusals((document.paths ?? {}) as unknown as Record<string, Record<string, unknown>>);
  app.get('/openapi.json', (c) => c.json(document));

  allowedMethods = routeMethodTable(app.routes);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      const response = problemResponse(c, new DomainError('method_not_allowed', `${c.req.method} is not allowed here; use ${allowed.join(', ')}`));
      response.headers.set('allow', allowed.join(', '));
      return response;
    }
    return problemResponse(c, new DomainError('not_found', `no route for ${c.req.method} ${c.req.path}`));
  });
  app.onError(handleError);
  return app;
}

/** From the registered routes, a lookup of which methods a concrete path answers (for 405 and Allow). */
function routeMethodTable(routes: readonly { method: string; path: string }[]) {
  const table = routes
    .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
    .map((r) => ({ method: r.method, pattern: new RegExp(`^${r.path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`) }));
  return (path: string) => [...new Set(table.filter((r) => r.pattern.test(path)).map((r) => r.method))];
}

/**
 * Gives every operation a stable operationId derived from its method and path (postV1Awards,
 * getV1VolunteersIdBalance), so generated clients get readable names without each route naming itself.
 */
function nameOperations(paths: Record<string, Record<string, unknown>>) {
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation || typeof operation !== 'object' || !['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const op = operation as { operationId?: string };
      if (op.operationId) continue;
      const words = path
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((w) => w[0]!.toUpperCase() + w.slice(1));
      op.operationId = method + words.join('');
    }
  }
}
