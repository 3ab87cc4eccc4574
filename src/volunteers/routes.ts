import type { ServiceDeps } from '../deps.js';
import { createRouter, pageQuery } from '../http/openapi.js';
import { peopleRouteDefinitions } from '../people/routes.js';
import { CreateVolunteerBody, ListVolunteersQuery, VolunteerSchema } from './schemas.js';
import { createVolunteer, deactivateVolunteer, getVolunteer, listVolunteers } from './service.js';

const routes = peopleRouteDefinitions({
  path: '/v1/volunteers',
  tag: 'Volunteers',
  noun: { one: 'volunteer', many: 'volunteers' },
  summaries: {
    create: 'Register a volunteer (admin, organiser in scope)',
    list: 'List volunteers (admin; organisers see their subtree)',
    read: 'Read a volunteer (the volunteer, organiser in scope, admin)',
    deactivate: 'Deactivate a volunteer (admin, organiser in scope)',
  },
  schemas: { create: CreateVolunteerBody, query: ListVolunteersQuery.extend(pageQuery), person: VolunteerSchema },
});

export function volunteerRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(routes.create, async (c) => c.json(await createVolunteer(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(routes.list, async (c) => c.json(await listVolunteers(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(routes.read, async (c) => c.json(await getVolunteer(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(routes.deactivate, async (c) => c.json(await deactivateVolunteer(deps, c.get('actor'), c.req.valid('param').id), 200));
}
