import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery } from '../http/openapi.js';
import { CreateOrganiserBody, ListOrganisersQuery, OrganiserSchema } from './schemas.js';
import { createOrganiser, deactivateOrganiser, getOrganiser, listOrganisers } from './service.js';

const tags = ['Organisers'];

const create = createRoute({
  method: 'post',
  path: '/v1/organisers',
  tags,
  summary: 'Appoint an organiser to an org unit (admin)',
  security: bearerSecurity,
  request: jsonBody(CreateOrganiserBody),
  responses: { 201: jsonContent(OrganiserSchema, 'The new organiser'), ...errorResponses('forbidden', 'inactive') },
});

const list = createRoute({
  method: 'get',
  path: '/v1/organisers',
  tags,
  summary: 'List organisers (admin; organisers see their subtree)',
  security: bearerSecurity,
  request: { query: ListOrganisersQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(OrganiserSchema), 'A page of organisers, oldest first'), ...errorResponses('forbidden', 'not_found') },
});

const read = createRoute({
  method: 'get',
  path: '/v1/organisers/{id}',
  tags,
  summary: 'Read an organiser',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(OrganiserSchema, 'The organiser'), ...errorResponses('forbidden', 'not_found') },
});

const deactivate = createRoute({
  method: 'post',
  path: '/v1/organisers/{id}/deactivate',
  tags,
  summary: 'Deactivate an organiser (admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(OrganiserSchema, 'The organiser, now inactive'), ...errorResponses('forbidden', 'not_found') },
});

export function organiserRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(create, async (c) => c.json(await createOrganiser(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(list, async (c) => c.json(await listOrganisers(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(read, async (c) => c.json(await getOrganiser(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(deactivate, async (c) => c.json(await deactivateOrganiser(deps, c.get('actor'), c.req.valid('param').id), 200));
}
