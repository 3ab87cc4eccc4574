import { createRoute } from '@hono/zod-openapi';
import { IdParam, bearerSecurity, errorResponses, jsonBody, jsonContent, pageOf, type z } from '../http/openapi.js';

/**
 * The four routes every kind of person has (register, list, read, deactivate), described from what
 * sets one kind apart: its path, its words in the OpenAPI document and its schemas. Each module wires
 * them to its own service verbs.
 */
export function peopleRouteDefinitions<Create extends z.ZodType, Query extends z.ZodObject, Person extends z.ZodType>(spec: {
  /** The collection's path, e.g. /v1/volunteers. */
  path: string;
  tag: string;
  /** The person in the responses' descriptions: one (`volunteer`) and many (`volunteers`). */
  noun: { one: string; many: string };
  summaries: { create: string; list: string; read: string; deactivate: string };
  /** The list's query schema includes the paging parameters (pageQuery). */
  schemas: { create: Create; query: Query; person: Person };
}) {
  const { path, noun, summaries, schemas } = spec;
  const tags = [spec.tag];
  return {
    create: createRoute({
      method: 'post',
      path,
      tags,
      summary: summaries.create,
      security: bearerSecurity,
      request: jsonBody(schemas.create),
      responses: { 201: jsonContent(schemas.person, `The new ${noun.one}`), ...errorResponses('forbidden', 'inactive') },
    }),
    list: createRoute({
      method: 'get',
      path,
      tags,
      summary: summaries.list,
      security: bearerSecurity,
      request: { query: schemas.query },
      responses: { 200: jsonContent(pageOf(schemas.person), `A page of ${noun.many}, oldest first`), ...errorResponses('forbidden', 'not_found') },
    }),
    read: createRoute({
      method: 'get',
      path: `${path}/{id}`,
      tags,
      summary: summaries.read,
      security: bearerSecurity,
      request: { params: IdParam },
      responses: { 200: jsonContent(schemas.person, `The ${noun.one}`), ...errorResponses('forbidden', 'not_found') },
    }),
    deactivate: createRoute({
      method: 'post',
      path: `${path}/{id}/deactivate`,
      tags,
      summary: summaries.deactivate,
      security: bearerSecurity,
      request: { params: IdParam },
      responses: { 200: jsonContent(schemas.person, `The ${noun.one}, now inactive`), ...errorResponses('forbidden', 'not_found') },
    }),
  };
}
