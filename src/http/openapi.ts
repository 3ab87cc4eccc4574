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
