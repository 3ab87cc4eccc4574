import { createRoute } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ServiceDeps } from '../deps.js';
import type { AppEnv } from '../http/env.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery, z } from '../http/openapi.js';
import { inHand } from '../reports/csv.js';
import { sendReport, wantsCsv } from '../reports/routes.js';
import { idempotencyErrors, optionalIdempotencyHeaders, replayedBody, replayHeader, requestIdempotency } from '../writes/replay.js';
import { getWishCategory, listWishCategories, setWishCategory, updateWishCategory } from './categories.js';
import { wishReport, wishReportCsv, wishReportLines } from './report.js';
import {
  AssignBody,
  CategoryCodeParam,
  CreateWishBody,
  CreateWishCategoryBody,
  EmptyBody,
  ListWishCategoriesQuery,
  ListWishesQuery,
  NoteBody,
  ReasonBody,
  UpdateWishCategoryBody,
  WishCategorySchema,
  WishReportQuery,
  WishReportSchema,
  WishSchema,
} from './schemas.js';
import { assignWish, cancelWish, confirmWish, getWish, listWishes, markWishDone, postWish, releaseWish, takeWish } from './service.js';

const wishTags = ['Wishes'];
const OptionalIdempotency = optionalIdempotencyHeaders('Optional: a retry with the same key and body gets the stored answer');
/** A JSON body a move may carry, or none at all. */
const optionalBody = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: false } });

const createCategory = createRoute({
  method: 'post',
  path: '/v1/wish-categories',
  tags: wishTags,
  summary: "Set a wish category and the points its wishes earn (admin): creates it, or for an existing code sets its name and points (for wishes confirmed from now on)",
  security: bearerSecurity,
  request: jsonBody(CreateWishCategoryBody),
  responses: {
    201: jsonContent(WishCategorySchema, 'The new category'),
    200: jsonContent(WishCategorySchema, 'The existing category, with its new name and points'),
    ...errorResponses('forbidden'),
  },
});

const listCategories = createRoute({
  method: 'get',
  path: '/v1/wish-categories',
  tags: wishTags,
  summary: 'Wish categories with their points, by code (anyone authenticated)',
  security: bearerSecurity,
  request: { query: ListWishCategoriesQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(WishCategorySchema), 'A page of categories'), ...errorResponses() },
});

const readCategory = createRoute({
  method: 'get',
  path: '/v1/wish-categories/{code}',
  tags: wishTags,
  summary: 'A wish category (anyone authenticated)',
  security: bearerSecurity,
  request: { params: CategoryCodeParam },
  responses: { 200: jsonContent(WishCategorySchema, 'The category'), ...errorResponses('not_found') },
});

const updateCategory = createRoute({
  method: 'patch',
  path: '/v1/wish-categories/{code}',
  tags: wishTags,
  summary: 'Rename a category, change its points (for wishes confirmed from now on) or retire it (admin)',
  security: bearerSecurity,
  request: { params: CategoryCodeParam, ...jsonBody(UpdateWishCategoryBody) },
  responses: { 200: jsonContent(WishCategorySchema, 'The category after the change'), ...errorResponses('forbidden', 'not_found') },
});

const create = createRoute({
  method: 'post',
  path: '/v1/wishes',
  tags: wishTags,
  summary: 'Post a wish: a volunteer for itself, an organiser or admin on behalf of a resident',
  security: bearerSecurity,
  request: { ...jsonBody(CreateWishBody), headers: OptionalIdempotency },
  responses: {
    201: { ...jsonContent(WishSchema, 'The wish, open (or the replay of an identical earlier request)'), headers: replayHeader },
    ...errorResponses('forbidden', 'not_found', 'inactive', ...idempotencyErrors),
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/wishes',
  tags: wishTags,
  summary: "Wishes, newest first: a volunteer's community's open wishes and its own; an organiser's subtree; all for admins",
  security: bearerSecurity,
  request: { query: ListWishesQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(WishSchema), 'A page of wishes (contacts only where the caller may see them)'), ...errorResponses('forbidden', 'not_found') },
});

const read = createRoute({
  method: 'get',
  path: '/v1/wishes/{id}',
  tags: wishTags,
  summary: 'A wish with its whole history',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(WishSchema, 'The wish'), ...errorResponses('forbidden', 'not_found') },
});

const take = createRoute({
  method: 'post',
  path: '/v1/wishes/{id}/take',
  tags: wishTags,
  summary: 'Take an open wish (a volunteer in scope); of concurrent takes exactly one wins',
  security: bearerSecurity,
  request: { params: IdParam, ...optionalBody(EmptyBody) },
  responses: {
    200: jsonContent(WishSchema, 'Taken: the wish, now with its contact'),
    ...errorResponses('forbidden', 'not_found', 'already_taken', 'invalid_transition', 'post_holder_window'),
  },
});

const assign = createRoute({
  method: 'post',
  path: '/v1/wishes/{id}/assign',
  tags: wishTags,
  summary: 'Give an open wish to a volunteer (organiser in scope, admin)',
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(AssignBody) },
  responses: { 200: jsonContent(WishSchema, 'Taken by the volunteer'), ...errorResponses('forbidden', 'not_found', 'already_taken', 'invalid_transition', 'inactive') },
});

const release = createRoute({
  method: 'post',
  path: '/v1/wishes/{id}/release',
  tags: wishTags,
  summary: 'Let a taken wish go: open again (the taker, or an organiser in scope)',
  security: bearerSecurity,
  request: { params: IdParam, ...optionalBody(ReasonBody) },
  responses: { 200: jsonContent(WishSchema, 'Open again'), ...errorResponses('forbidden', 'not_found', 'invalid_transition') },
});

const done = createRoute({
  method: 'post',
  path: '/v1/wishes/{id}/done',
  tags: wishTags,
  summary: 'Mark a taken wish done, with a note of what was done (the taker)',
  security: bearerSecurity,
  request: { params: IdParam, ...optionalBody(NoteBody) },
  responses: { 200: jsonContent(WishSchema, 'Done, waiting for confirmation'), ...errorResponses('forbidden', 'not_found', 'invalid_transition') },
});

const confirm = createRoute({
  method: 'post',
  path: '/v1/wishes/{id}/confirm',
  tags: wishTags,
  summary: "Confirm a done wish (the poster, an organiser in scope, admin): the taker is awarded the category's points, once",
  security: bearerSecurity,
  request: { params: IdParam, ...optionalBody(NoteBody), headers: OptionalIdempotency },
  responses: {
    200: { ...jsonContent(WishSchema, 'Confirmed, with its award (confirming again answers the same and awards nothing more)'), headers: replayHeader },
    ...errorResponses('forbidden', 'not_found', 'invalid_transition', 'inactive', ...idempotencyErrors),
  },
});

const cancel = createRoute({
  method: 'post',
  path: '/v1/wishes/{id}/cancel',
  tags: wishTags,
  summary: 'Withdraw an open or taken wish (the poster, an organiser in scope, admin)',
  security: bearerSecurity,
  request: { params: IdParam, ...optionalBody(ReasonBody) },
  responses: { 200: jsonContent(WishSchema, 'Cancelled'), ...errorResponses('forbidden', 'not_found', 'invalid_transition') },
});

const report = createRoute({
  method: 'get',
  path: '/v1/reports/wishes',
  tags: ['Reports'],
  summary: 'Wishes posted in a month, quarter or year: answered, done, confirmed, cancelled, expired, completion rate, share answered within 15 minutes, median minutes, by category and org unit (admin; organiser in scope)',
  security: bearerSecurity,
  request: { query: WishReportQuery },
  responses: {
    200: {
      description: 'The report. JSON by default; CSV (UTF-8 with BOM, `content-disposition: attachment`) with `?format=csv` or `Accept: text/csv`.',
      content: { 'application/json': { schema: WishReportSchema }, 'text/csv': { schema: z.string() } },
    },
    ...errorResponses('forbidden', 'not_found'),
  },
});

/**
 * A move whose body is optional may arrive with a JSON content type and no body at all; it is read
 * as an empty object, as a move with no content type is.
 */
const emptyJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const length = c.req.header('content-length');
  if (c.req.method === 'POST' && (length === undefined || length === '0') && c.req.header('transfer-encoding') === undefined) {
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve('{}');
  }
  await next();
};

export function wishRoutes(deps: ServiceDeps) {
  const router = createRouter();
  router.use('/v1/wishes/:id/*', emptyJsonBody);
  return router
    .openapi(createCategory, async (c) => {
      const { category, created } = await setWishCategory(deps, c.get('actor'), c.req.valid('json'));
      return created ? c.json(category, 201) : c.json(category, 200);
    })
    .openapi(listCategories, async (c) => c.json(await listWishCategories(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(readCategory, async (c) => c.json(await getWishCategory(deps, c.get('actor'), c.req.valid('param').code), 200))
    .openapi(updateCategory, async (c) => c.json(await updateWishCategory(deps, c.get('actor'), c.req.valid('param').code, c.req.valid('json')), 200))
    .openapi(create, async (c) => {
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await postWish(deps, c.get('actor'), input, requestIdempotency(c, 'post-wish', input, false))), 201);
    })
    .openapi(list, async (c) => c.json(await listWishes(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(read, async (c) => c.json(await getWish(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(take, async (c) => c.json(await takeWish(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(assign, async (c) => c.json(await assignWish(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('json')), 200))
    .openapi(release, async (c) => c.json(await releaseWish(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('json')), 200))
    .openapi(done, async (c) => c.json(await markWishDone(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('json')), 200))
    .openapi(confirm, async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await confirmWish(deps, c.get('actor'), id, input, requestIdempotency(c, `confirm-wish:${id}`, input, false))), 200);
    })
    .openapi(cancel, async (c) => c.json(await cancelWish(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('json')), 200))
    .openapi(report, async (c) => {
      const query = c.req.valid('query');
      const doc = await wishReport(deps, c.get('actor'), query);
      if (!wantsCsv(c, query.format)) return c.json(doc, 200);
      return sendReport(c, { head: doc, batches: inHand(wishReportLines(doc)) }, wishReportCsv, true);
    });
}
