import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery } from '../http/openapi.js';
import { CreatePostBody, ListPostsQuery, VolunteerPostSchema } from './schemas.js';
import { assignPost, endPost, listPosts } from './service.js';

const tags = ['Volunteer posts'];

const createPost = createRoute({
  method: 'post',
  path: '/v1/volunteer-posts',
  tags,
  summary: 'Give a volunteer a post in an org unit: 楼栋长, 单元长, 片长 or 网格员 (admin, organiser in scope)',
  security: bearerSecurity,
  request: jsonBody(CreatePostBody),
  responses: { 201: jsonContent(VolunteerPostSchema, 'The post'), ...errorResponses('forbidden', 'conflict', 'inactive') },
});

const listPostsRoute = createRoute({
  method: 'get',
  path: '/v1/volunteer-posts',
  tags,
  summary: "Volunteer posts held now (admin; organiser's subtree; a volunteer's community)",
  security: bearerSecurity,
  request: { query: ListPostsQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(VolunteerPostSchema), 'A page of posts'), ...errorResponses('forbidden', 'not_found') },
});

const endPostRoute = createRoute({
  method: 'post',
  path: '/v1/volunteer-posts/{id}/end',
  tags,
  summary: 'End a post (admin, organiser in scope); the record stays',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(VolunteerPostSchema, 'The ended post'), ...errorResponses('forbidden', 'not_found') },
});

export function postRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(createPost, async (c) => c.json(await assignPost(deps, c.get('actor'), c.req.valid('json')), 201))
    .openapi(listPostsRoute, async (c) => c.json(await listPosts(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(endPostRoute, async (c) => c.json(await endPost(deps, c.get('actor'), c.req.valid('param').id), 200));
}
