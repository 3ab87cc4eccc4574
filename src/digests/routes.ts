import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonContent, pageOf } from '../http/openapi.js';
import { DigestCheckSchema, DigestListQuery, DigestRecordSchema } from './schemas.js';
import { checkDigestRecord, listDigestRecords, recordTodaysDigest } from './service.js';

const tags = ['Ledger'];

const record = createRoute({
  method: 'post',
  path: '/v1/ledger/digests',
  tags,
  summary: "Record today's ledger digest for the auditor, once a day (admin)",
  security: bearerSecurity,
  responses: {
    201: jsonContent(DigestRecordSchema, "Today's digest, just recorded (as of a minute ago)"),
    200: jsonContent(DigestRecordSchema, "Today's digest, recorded earlier today: a day has one"),
    ...errorResponses('forbidden'),
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/ledger/digests',
  tags,
  summary: 'Recorded ledger digests, newest day first (admin)',
  security: bearerSecurity,
  request: { query: DigestListQuery },
  responses: { 200: jsonContent(pageOf(DigestRecordSchema), 'A page of recorded digests'), ...errorResponses('forbidden') },
});

const check = createRoute({
  method: 'get',
  path: '/v1/ledger/digests/{id}',
  tags,
  summary: 'A recorded digest, recomputed from the ledger now for the same moment: matches or not (admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(DigestCheckSchema, 'The record and the digest recomputed now'), ...errorResponses('forbidden', 'not_found') },
});

export function digestRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(record, async (c) => {
      const { record, created } = await recordTodaysDigest(deps, c.get('actor'));
      return created ? c.json(record, 201) : c.json(record, 200);
    })
    .openapi(list, async (c) => c.json(await listDigestRecords(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(check, async (c) => c.json(await checkDigestRecord(deps, c.get('actor'), c.req.valid('param').id), 200));
}
