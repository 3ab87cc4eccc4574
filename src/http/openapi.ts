import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { errorCatalogue, validationFailed, type ErrorCode, type FieldError } from '../errors.js';
import type { AppEnv } from './env.js';

export { z };

export function fieldErrors(error: ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * A router whose validation failures become `validation_failed` problems listing every failing
 * field path. Each module builds its routes on one of these and the app mounts them.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === 'json' ? '' : `${result.target}.`;
        throw validationFailed(fieldErrors(result.error).map((e) => ({ ...e, path: where + e.path })));
      }
    },
  });
}

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:jifen:problem:not_found' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: 'Stable machine-readable error code' }),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional().openapi({ description: 'Each failing field, for validation_failed' }),
    redemptionStatus: z.enum(['issued', 'redeemed', 'cancelled', 'expired']).optional().openapi({ description: 'The claim\'s state, when a redemption is refused for it (token_already_used, token_expired)' }),
  })
  .catchall(z.unknown())
  .openapi('Problem');

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/** OpenAPI response entries for the given error codes, grouped by status. */
export function errorResponses(...codes: ErrorCode[]) {
  const all: ErrorCode[] = ['unauthorized', 'validation_failed', 'internal_error', 'service_unavailable', 'rate_limited', ...codes];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of all) {
    const status = errorCatalogue[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus.entries()].map(([status, list]) => [
      String(status),
      { description: [...new Set(list)].join(', '), content: problemContent },
    ]),
  );
}

const writeMethods = new Set(['post', 'put', 'patch', 'delete']);

/**
 * Declares 413 and 415 on every operation that takes a body and on every write: readJsonBody
 * answers them for any write carrying one (too large, not JSON), before the route sees it. Done
 * once over the finished document rather than by each route, so no route can forget them.
 */
export function declareBodyRefusals(paths: Record<string, Record<string, unknown>>): void {
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  for (const item of Object.values(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation || typeof operation !== 'object') continue;
      const op = operation as { requestBody?: unknown; responses?: Record<string, unknown> };
      if (!writeMethods.has(method) && !op.requestBody) continue;
      op.responses ??= {};
      op.responses['413'] ??= { description: 'payload_too_large', content: problem };
      op.responses['415'] ??= { description: 'unsupported_media_type', content: problem };
    }
  }
}

/**
 * Declares the 403s the authenticator itself answers on every operation that needs a caller:
 * identity_not_linked (a provider's token for an identity linked to nobody) and, on writes,
 * csrf_refused (the session cookie sent from another site). Done once over the finished document.
 */
export function declareCredentialRefusals(paths: Record<string, Record<string, unknown>>): void {
  const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  for (const item of Object.values(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation || typeof operation !== 'object') continue;
      const op = operation as { security?: unknown[]; responses?: Record<string, { description?: string; content?: unknown }> };
      if (!op.security || op.security.length === 0) continue;
      const codes = writeMethods.has(method) ? ['identity_not_linked', 'csrf_refused'] : ['identity_not_linked'];
      op.responses ??= {};
      const existing = op.responses['403'];
      if (!existing) {
        op.responses['403'] = { description: codes.join(', '), content: problem };
        continue;
      }
      const listed = (existing.description ?? '').split(', ').filter(Boolean);
      existing.description = [...new Set([...listed, ...codes])].join(', ');
      existing.content ??= problem;
    }
  }
}

/** Public routes have no 401 to document. */
export function publicErrorResponses(...codes: ErrorCode[]) {
  const responses = errorResponses(...codes) as Record<string, unknown>;
  delete responses['401'];
  return responses;
}

/** Either credential authenticates: a bearer access token, or the browser session cookie. */
export const bearerSecurity: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});

/** Uuid path parameter. */
export const IdParam = z.object({
  id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' }, example: '01936b2e-7c1a-7e55-9d4b-3a1f2c3d4e5f' }),
});

export const pageSizeMax = 200;

/** Keyset paging query parameters shared by every list endpoint. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(pageSizeMax).default(50).openapi({ param: { name: 'limit', in: 'query' } }),
  cursor: z.string().max(400).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'nextCursor from the previous page' }),
};

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
