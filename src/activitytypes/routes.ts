import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery, z } from '../http/openapi.js';
import { ActivityTypeSchema, CodeParam, CreateActivityTypeBody, PointRuleSchema, RuleBody } from './schemas.js';
import { changeRule, createActivityType, getActivityType, listActivityTypes, listRuleVersions } from './service.js';

const tags = ['Activity types'];

const create = createRoute({
  method: 'post',
  path: '/v1/activity-types',
  tags,
  summary: 'Create an activity type with its point rule (admin)',
  security: bearerSecurity,
  request: jsonBody(CreateActivityTypeBody),
  responses: { 201: jsonContent(ActivityTypeSchema, 'The new activity type'), ...errorResponses('forbidden', 'conflict') },
});

const list = createRoute({
  method: 'get',
  path: '/v1/activity-types',
  tags,
  summary: 'List activity types with their current rules (anyone authenticated)',
  security: bearerSecurity,
  request: { query: z.object(pageQuery) },
  responses: { 200: jsonContent(pageOf(ActivityTypeSchema), 'A page of activity types, by code'), ...errorResponses() },
});

const read = createRoute({
  method: 'get',
  path: '/v1/activity-types/{code}',
  tags,
  summary: 'Read an activity type (anyone authenticated)',
  security: bearerSecurity,
  request: { params: CodeParam },
  responses: { 200: jsonContent(ActivityTypeSchema, 'The activity type'), ...errorResponses('not_found') },
});

const rules = createRoute({
  method: 'get',
  path: '/v1/activity-types/{code}/rules',
  tags,
  summary: "Every version of a type's point rule, newest first (anyone authenticated)",
  security: bearerSecurity,
  request: { params: CodeParam },
  responses: { 200: jsonContent(z.object({ items: z.array(PointRuleSchema) }), 'Rule versions'), ...errorResponses('not_found') },
});

const change = createRoute({
  method: 'post',
  path: '/v1/activity-types/{code}/rules',
  tags,
  summary: 'Change the point rule: appends a new version; existing activities keep theirs (admin)',
  security: bearerSecurity,
  request: { params: CodeParam, ...jsonBody(RuleBody) },
  responses: { 201: jsonContent(PointRuleSchema, 'The new rule version'), ...errorResponses('forbidden', 'not_found') },
});

export function activityTypeRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(create, async (c) => c.json(await createActivityType(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(list, async (c) => c.json(await listActivityTypes(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(read, async (c) => c.json(await getActivityType(deps, c.get('actor'), c.req.valid('param').code), 200))
    .openapi(rules, async (c) => c.json(await listRuleVersions(deps, c.get('actor'), c.req.valid('param').code), 200))
    .openapi(change, async (c) => c.json(await changeRule(deps, c.get('actor'), c.req.valid('param').code, c.req.valid('json')), 201));
}
