import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery } from '../http/openapi.js';
import { CreateOrgUnitBody, ListOrgUnitsQuery, OrgUnitSchema } from './schemas.js';
import { createOrgUnit, deactivateOrgUnit, getOrgUnit, listOrgUnits } from './service.js';

const tags = ['Org units'];

const create = createRoute({
  method: 'post',
  path: '/v1/org-units',
  tags,
  summary: 'Create an org unit (admin)',
  security: bearerSecurity,
  request: jsonBody(CreateOrgUnitBody),
  responses: { 201: jsonContent(OrgUnitSchema, 'The new unit'), ...errorResponses('forbidden', 'conflict', 'inactive') },
});

const list = createRoute({
  method: 'get',
  path: '/v1/org-units',
  tags,
  summary: 'List org units',
  security: bearerSecurity,
  request: { query: ListOrgUnitsQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(OrgUnitSchema), 'A page of units, oldest first'), ...errorResponses() },
});

const read = createRoute({
  method: 'get',
  path: '/v1/org-units/{id}',
  tags,
  summary: 'Read an org unit',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(OrgUnitSchema, 'The unit'), ...errorResponses('not_found') },
});

const deactivate = createRoute({
  method: 'post',
  path: '/v1/org-units/{id}/deactivate',
  tags,
  summary: 'Deactivate an org unit (admin)',
  security: bearerSecurity,
  responses: { 200: jsonContent(OrgUnitSchema, 'The unit, now inactive'), ...errorResponses('forbidden', 'not_found') },
  request: { params: IdParam },
});

export function orgUnitRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(create, async (c) => c.json(await createOrgUnit(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(list, async (c) => c.json(await listOrgUnits(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(read, async (c) => c.json(await getOrgUnit(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(deactivate, async (c) => c.json(await deactivateOrgUnit(deps, c.get('actor'), c.req.valid('param').id), 200));
}
