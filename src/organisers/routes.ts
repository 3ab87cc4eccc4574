import type { ServiceDeps } from '../deps.js';
import { createRouter, pageQuery } from '../http/openapi.js';
import { peopleRouteDefinitions } from '../people/routes.js';
import { CreateOrganiserBody, ListOrganisersQuery, OrganiserSchema } from './schemas.js';
import { createOrganiser, deactivateOrganiser, getOrganiser, listOrganisers } from './service.js';

const routes = peopleRouteDefinitions({
  path: '/v1/organisers',
  tag: 'Organisers',
  noun: { one: 'organiser', many: 'organisers' },
  summaries: {
    create: 'Appoint an organiser to an org unit (admin)',
    list: 'List organisers (admin; organisers see their subtree)',
    read: 'Read an organiser',
    deactivate: 'Deactivate an organiser (admin)',
  },
  schemas: { create: CreateOrganiserBody, query: ListOrganisersQuery.extend(pageQuery), person: OrganiserSchema },
});

export function organiserRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(routes.create, async (c) => c.json(await createOrganiser(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(routes.list, async (c) => c.json(await listOrganisers(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(routes.read, async (c) => c.json(await getOrganiser(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(routes.deactivate, async (c) => c.json(await deactivateOrganiser(deps, c.get('actor'), c.req.valid('param').id), 200));
}
