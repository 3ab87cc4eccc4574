import type { ServiceDeps } from '../deps.js';
import { createRoute } from '@hono/zod-openapi';
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageQuery } from '../http/openapi.js';
import { matchVolunteers } from './match.js';
import { peopleRouteDefinitions } from '../people/routes.js';
import { CreateVolunteerBody, ListVolunteersQuery, MatchVolunteersBody, MatchVolunteersResponse, VolunteerSchema } from './schemas.js';
import { createVolunteer, deactivateVolunteer, getVolunteer, listVolunteers } from './service.js';

const routes = peopleRouteDefinitions({
  path: '/v1/volunteers',
  tag: 'Volunteers',
  noun: { one: 'volunteer', many: 'volunteers' },
  summaries: {
    create: 'Register a volunteer (admin, organiser in scope)',
    list: 'List or find volunteers by name or phone (admin; organisers see their subtree)',
    read: 'Read a volunteer (the volunteer, organiser in scope, admin)',
    deactivate: 'Deactivate a volunteer (admin, organiser in scope)',
  },
  schemas: { create: CreateVolunteerBody, query: ListVolunteersQuery.extend(pageQuery), person: VolunteerSchema },
});

const match = createRoute({
  method: 'post',
  path: '/v1/volunteers/match',
  tags: ['Volunteers'],
  summary: "Who each row of a sheet means, by id, phone or name, or why no one (admin; organisers within their subtree); writes nothing",
  security: bearerSecurity,
  request: jsonBody(MatchVolunteersBody),
  responses: { 200: jsonContent(MatchVolunteersResponse, "Each row's volunteer or its reason, in the order given"), ...errorResponses('forbidden', 'not_found', 'payload_too_large') },
});

export function volunteerRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(match, async (c) => {
      const { rows, activityId } = c.req.valid('json');
      return c.json(await matchVolunteers(deps, c.get('actor'), rows, { activityId }), 200);
    })
    .openapi(routes.create, async (c) => c.json(await createVolunteer(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(routes.list, async (c) => c.json(await listVolunteers(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(routes.read, async (c) => c.json(await getVolunteer(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(routes.deactivate, async (c) => c.json(await deactivateVolunteer(deps, c.get('actor'), c.req.valid('param').id), 200));
}
