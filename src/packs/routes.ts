import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery } from '../http/openapi.js';
import { CatalogueQuery, CreatePackBody, MerchantPacksQuery, PackSchema, UpdatePackBody } from './schemas.js';
import { createPack, getPack, listCatalogue, listMerchantPacks, updatePack } from './service.js';

const tags = ['Benefit packs'];

const create = createRoute({
  method: 'post',
  path: '/v1/packs',
  tags,
  summary: 'Publish a benefit pack (admin, the merchant itself)',
  security: bearerSecurity,
  request: jsonBody(CreatePackBody),
  responses: { 201: jsonContent(PackSchema, 'The new pack'), ...errorResponses('forbidden', 'inactive') },
});

const catalogue = createRoute({
  method: 'get',
  path: '/v1/packs',
  tags,
  summary: 'Packs that can be claimed now, with stock left (anyone authenticated)',
  security: bearerSecurity,
  request: { query: CatalogueQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(PackSchema), 'A page of claimable packs, oldest first'), ...errorResponses() },
});

const read = createRoute({
  method: 'get',
  path: '/v1/packs/{id}',
  tags,
  summary: 'Read a pack, whatever its status (anyone authenticated)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(PackSchema, 'The pack'), ...errorResponses('not_found') },
});

const update = createRoute({
  method: 'patch',
  path: '/v1/packs/{id}',
  tags,
  summary: "Change a pack's wording, validity window or status (admin, the merchant itself)",
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(UpdatePackBody) },
  responses: { 200: jsonContent(PackSchema, 'The pack as changed'), ...errorResponses('forbidden', 'not_found', 'conflict') },
});

const merchantPacks = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/packs',
  tags,
  summary: "Every pack of a merchant, whatever its status or window, oldest first (the merchant itself, admin)",
  security: bearerSecurity,
  request: { params: IdParam, query: MerchantPacksQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(PackSchema), "A page of the merchant's packs"), ...errorResponses('forbidden', 'not_found') },
});

export function packRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(create, async (c) => c.json(await createPack(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(catalogue, async (c) => c.json(await listCatalogue(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(read, async (c) => c.json(await getPack(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(update, async (c) => c.json(await updatePack(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('json')), 200))
    .openapi(merchantPacks, async (c) => c.json(await listMerchantPacks(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200));
}
