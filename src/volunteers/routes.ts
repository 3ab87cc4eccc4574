import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery } from '../http/openapi.js';
import { CreateVolunteerBody, ListVolunteersQuery, VolunteerSchema } from './schemas.js';
import { createVolunteer, deactivateVolunteer, getVolunteer, listVolunteers } from './service.js';

const tags = ['Volunteers'];

const create = createRoute({
  method: 'post',
  path: '/v1/volunteers',
  tags,
  summary: 'Register a volunteer (admin, organiser in scope)',
  security: bearerSecurity,
  request: jsonBody(CreateVolunteerBody),
  responses: { 201: jsonContent(VolunteerSchema, 'The new volunteer'), ...errorResponses('forbidden', 'inactive') },
});

const list = createRoute({
  method: 'get',
  path: '/v1/volunteers',
  tags,
  summary: 'List volunteers (admin; organisers see their subtree)',
  security: bearerSecurity,
  request: { query: ListVolunteersQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(VolunteerSchema), 'A page of volunteers, oldest first'), ...errorResponses('forbidden', 'not_found') },
});

const read = createRoute({
  method: 'get',
  path: '/v1/volunteers/{id}',
  tags,
  summary: 'Read a volunteer (the volunteer, organiser in scope, admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(VolunteerSchema, 'The volunteer'), ...errorResponses('forbidden', 'not_found') },
});

const deactivate = createRoute({
  method: 'post',
  path: '/v1/volunteers/{id}/deactivate',
  tags,
  summary: 'Deactivate a volunteer (admin, organiser in scope)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(VolunteerSchema, 'The volunteer, now inactive'), ...errorResponses('forbidden', 'not_found') },
});

export function volunteerRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(create, async (c) => c.json(await createVolunteer(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(list, async (c) => c.json(await listVolunteers(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(read, async (c) => c.json(await getVolunteer(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(deactivate, async (c) => c.json(await deactivateVolunteer(deps, c.get('actor'), c.req.valid('param').id), 200));
}
