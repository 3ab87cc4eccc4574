import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery, z } from '../http/openapi.js';
import { ActivitySchema, CheckInCodeSchema, CreateActivityBody, ListActivitiesQuery, SignupSchema } from './schemas.js';
import { cancelActivity, checkInCodeSvg, closeActivity, createActivity, getActivity, getCheckInCode, listActivities, listSignups, signUp, withdraw } from './service.js';

const tags = ['Activities'];

const create = createRoute({
  method: 'post',
  path: '/v1/activities',
  tags,
  summary: 'Create an activity (admin, organiser in scope)',
  security: bearerSecurity,
  request: jsonBody(CreateActivityBody),
  responses: { 201: jsonContent(ActivitySchema, 'The new activity'), ...errorResponses('forbidden', 'inactive') },
});

const list = createRoute({
  method: 'get',
  path: '/v1/activities',
  tags,
  summary: 'List activities by start time (anyone authenticated)',
  security: bearerSecurity,
  request: { query: ListActivitiesQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(ActivitySchema), 'A page of activities, earliest start first'), ...errorResponses('not_found') },
});

const read = createRoute({
  method: 'get',
  path: '/v1/activities/{id}',
  tags,
  summary: 'Read an activity (anyone authenticated)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(ActivitySchema, 'The activity'), ...errorResponses('not_found') },
});

const close = createRoute({
  method: 'post',
  path: '/v1/activities/{id}/close',
  tags,
  summary: 'Close an activity to sign-ups and check-ins (admin, organiser in scope)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(ActivitySchema, 'The closed activity'), ...errorResponses('forbidden', 'not_found', 'conflict') },
});

const cancel = createRoute({
  method: 'post',
  path: '/v1/activities/{id}/cancel',
  tags,
  summary: 'Cancel an activity that has no live service records (admin, organiser in scope)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(ActivitySchema, 'The cancelled activity'), ...errorResponses('forbidden', 'not_found', 'conflict') },
});

const code = createRoute({
  method: 'get',
  path: '/v1/activities/{id}/check-in-code',
  tags,
  summary: 'The six-digit check-in code to show volunteers, valid only during the activity (admin, organiser in scope)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(CheckInCodeSchema, 'The code'), ...errorResponses('forbidden', 'not_found', 'conflict') },
});

const codeQr = createRoute({
  method: 'get',
  path: '/v1/activities/{id}/check-in-code/qr.svg',
  tags,
  summary: "The check-in QR code, holding the wallet's check-in page address with the code (admin, organiser in scope)",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: { description: 'SVG image', content: { 'image/svg+xml': { schema: z.string() } } }, ...errorResponses('forbidden', 'not_found', 'conflict') },
});

const signup = createRoute({
  method: 'post',
  path: '/v1/activities/{id}/signup',
  tags,
  summary: 'Sign up for an activity (the volunteer); capacity is enforced',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: {
    201: jsonContent(SignupSchema, 'Signed up'),
    200: jsonContent(SignupSchema, 'Already signed up'),
    ...errorResponses('forbidden', 'not_found', 'conflict', 'capacity_reached'),
  },
});

const withdrawRoute = createRoute({
  method: 'post',
  path: '/v1/activities/{id}/withdraw',
  tags,
  summary: 'Withdraw from an activity before it ends (the volunteer)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(SignupSchema, 'Withdrawn'), ...errorResponses('forbidden', 'not_found', 'conflict') },
});

const signups = createRoute({
  method: 'get',
  path: '/v1/activities/{id}/signups',
  tags,
  summary: 'Volunteers signed up for an activity (admin, organiser in scope)',
  security: bearerSecurity,
  request: { params: IdParam, query: z.object(pageQuery) },
  responses: { 200: jsonContent(pageOf(SignupSchema), 'A page of sign-ups'), ...errorResponses('forbidden', 'not_found') },
});

export function activityRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(create, async (c) => c.json(await createActivity(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(list, async (c) => c.json(await listActivities(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(read, async (c) => c.json(await getActivity(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(close, async (c) => c.json(await closeActivity(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(cancel, async (c) => c.json(await cancelActivity(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(code, async (c) => {
      c.header('cache-control', 'no-store');
      return c.json(await getCheckInCode(deps, c.get('actor'), c.req.valid('param').id), 200);
    })
    .openapi(codeQr, async (c) => {
      const svg = await checkInCodeSvg(deps, c.get('actor'), c.req.valid('param').id);
      return c.body(svg, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' });
    })
    .openapi(signup, async (c) => {
      const result = await signUp(deps, c.get('actor'), c.req.valid('param').id);
      return result.created ? c.json(result.signup, 201) : c.json(result.signup, 200);
    })
    .openapi(withdrawRoute, async (c) => c.json(await withdraw(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(signups, async (c) => c.json(await listSignups(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200));
}
