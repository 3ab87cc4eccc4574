import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery } from '../http/openapi.js';
import { CreateMerchantBody, ListMerchantsQuery, MerchantSchema } from './schemas.js';
import { createMerchant, deactivateMerchant, getMerchant, listMerchants } from './service.js';

const tags = ['Merchants'];

const create = createRoute({
  method: 'post',
  path: '/v1/merchants',
  tags,
  summary: 'Sign up a partner shop (admin)',
  security: bearerSecurity,
  request: jsonBody(CreateMerchantBody),
  responses: { 201: jsonContent(MerchantSchema, 'The new merchant'), ...errorResponses('forbidden', 'inactive') },
});

const list = createRoute({
  method: 'get',
  path: '/v1/merchants',
  tags,
  summary: 'List partner shops',
  security: bearerSecurity,
  request: { query: ListMerchantsQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(MerchantSchema), 'A page of merchants, oldest first'), ...errorResponses('not_found') },
});

const read = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}',
  tags,
  summary: 'Read a partner shop',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(MerchantSchema, 'The merchant'), ...errorResponses('not_found') },
});

const deactivate = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/deactivate',
  tags,
  summary: 'Deactivate a partner shop (admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(MerchantSchema, 'The merchant, now inactive'), ...errorResponses('forbidden', 'not_found') },
});

export function merchantRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(create, async (c) => c.json(await createMerchant(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(list, async (c) => c.json(await listMerchants(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(read, async (c) => c.json(await getMerchant(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(deactivate, async (c) => c.json(await deactivateMerchant(deps, c.get('actor'), c.req.valid('param').id), 200));
}
