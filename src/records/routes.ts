import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery, z } from '../http/openapi.js';
import { IdempotencyHeaders, idempotencyErrors, optionalIdempotencyHeaders, replayHeader, replayedBody, requestIdempotency } from '../writes/replay.js';
import { issueCertificate } from './certificate.js';
import {
  BulkDecisionBody,
  BulkRecordsBody,
  BulkRecordsResponse,
  CertificateSchema,
  CheckInBody,
  CheckOutBody,
  CorrectionBody,
  DecisionBody,
  ListManagedRecordsQuery,
  QueuedRecordSchema,
  ListRecordsQuery,
  ServiceRecordSchema,
} from './schemas.js';
import { correctRecord, decideMany, decideOne, decideQueued } from './decisions.js';
import { checkIn, checkOut, recordBatch } from './entry.js';
import { getRecord, listActivityRecords, listManagedRecords, listVolunteerRecords } from './service.js';

const tags = ['Service records'];
const OptionalIdempotency = optionalIdempotencyHeaders('Optional here: deciding a record twice the same way already changes nothing');
const RecordsList = z.object({ records: z.array(ServiceRecordSchema) }).openapi('ServiceRecords');

const bulk = createRoute({
  method: 'post',
  path: '/v1/activities/{id}/records',
  tags,
  summary: 'Record hours for up to 1,000 volunteers at once, approved and awarded, all or nothing (admin, organiser in scope)',
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(BulkRecordsBody), headers: IdempotencyHeaders },
  responses: {
    201: { ...jsonContent(BulkRecordsResponse, 'Every row recorded and awarded (or the replay of an identical earlier request)'), headers: replayHeader },
    ...errorResponses('forbidden', 'not_found', 'conflict', 'payload_too_large', ...idempotencyErrors),
  },
});

const activityRecords = createRoute({
  method: 'get',
  path: '/v1/activities/{id}/records',
  tags,
  summary: "An activity's service records (admin, organiser in scope)",
  security: bearerSecurity,
  request: { params: IdParam, query: ListRecordsQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(ServiceRecordSchema), 'A page of records, oldest first'), ...errorResponses('forbidden', 'not_found') },
});

const bulkDecision = (decision: 'approve' | 'reject') =>
  createRoute({
    method: 'post',
    path: `/v1/activities/{id}/records/${decision}`,
    tags,
    summary: `${decision === 'approve' ? 'Approve (and award)' : 'Reject'} up to 1,000 records of an activity, all or nothing (admin, organiser in scope)`,
    security: bearerSecurity,
    request: { params: IdParam, ...jsonBody(BulkDecisionBody), headers: OptionalIdempotency },
    responses: { 200: { ...jsonContent(RecordsList, 'The records after the decision'), headers: replayHeader }, ...errorResponses('forbidden', 'not_found', 'conflict', ...idempotencyErrors) },
  });

const singleDecision = (decision: 'approve' | 'reject') =>
  createRoute({
    method: 'post',
    path: `/v1/records/{id}/${decision}`,
    tags,
    summary: `${decision === 'approve' ? 'Approve a pending record and award its points' : 'Reject a record; it never counts'} (admin, organiser in scope)`,
    security: bearerSecurity,
    // The body is optional: a decision needs nothing but the record's id.
    request: { params: IdParam, body: { content: { 'application/json': { schema: DecisionBody } }, required: false }, headers: OptionalIdempotency },
    responses: { 200: { ...jsonContent(ServiceRecordSchema, 'The record after the decision'), headers: replayHeader }, ...errorResponses('forbidden', 'not_found', 'conflict', ...idempotencyErrors) },
  });

const correct = createRoute({
  method: 'post',
  path: '/v1/records/{id}/corrections',
  tags,
  summary: "Correct a record's minutes or units: a new version, and a ledger correction for the difference (admin, organiser in scope)",
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(CorrectionBody), headers: IdempotencyHeaders },
  responses: {
    201: { ...jsonContent(ServiceRecordSchema, 'The corrected record with its history'), headers: replayHeader },
    ...errorResponses('forbidden', 'not_found', 'conflict', 'insufficient_points', ...idempotencyErrors),
  },
});

const queue = createRoute({
  method: 'get',
  path: '/v1/records',
  tags,
  summary: "Records of every activity the caller manages, oldest first: with status=pending, the approval queue (admin; organisers their subtree's activities)",
  security: bearerSecurity,
  request: { query: ListManagedRecordsQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(QueuedRecordSchema), 'A page of records with their volunteers\' names, oldest first'), ...errorResponses('forbidden', 'not_found') },
});

const queueDecision = (decision: 'approve' | 'reject') =>
  createRoute({
    method: 'post',
    path: `/v1/records/${decision}`,
    tags,
    summary: `${decision === 'approve' ? 'Approve (and award)' : 'Reject'} up to 1,000 records of any activities the caller manages, all or nothing (admin, organiser in scope)`,
    security: bearerSecurity,
    request: { ...jsonBody(BulkDecisionBody), headers: OptionalIdempotency },
    responses: { 200: { ...jsonContent(RecordsList, 'The records after the decision, in the order asked'), headers: replayHeader }, ...errorResponses('forbidden', 'conflict', 'inactive', ...idempotencyErrors) },
  });

const read = createRoute({
  method: 'get',
  path: '/v1/records/{id}',
  tags,
  summary: 'A service record with its history (its volunteer, organiser in scope, admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(ServiceRecordSchema, 'The record'), ...errorResponses('forbidden', 'not_found') },
});

const checkInRoute = createRoute({
  method: 'post',
  path: '/v1/activities/{id}/check-in',
  tags,
  summary: "Check in at a running activity with the organiser's code (the volunteer)",
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(CheckInBody) },
  responses: { 201: jsonContent(ServiceRecordSchema, 'Checked in'), ...errorResponses('forbidden', 'not_found', 'conflict') },
});

const checkOutRoute = createRoute({
  method: 'post',
  path: '/v1/activities/{id}/check-out',
  tags,
  summary: 'Check out with the same code; the record then awaits approval (the volunteer)',
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(CheckOutBody) },
  responses: { 200: jsonContent(ServiceRecordSchema, 'Checked out, pending approval'), ...errorResponses('forbidden', 'not_found', 'conflict') },
});

const volunteerRecords = createRoute({
  method: 'get',
  path: '/v1/volunteers/{id}/records',
  tags,
  summary: "A volunteer's service history, newest first (the volunteer, organiser in scope, admin)",
  security: bearerSecurity,
  request: { params: IdParam, query: ListRecordsQuery.extend(pageQuery) },
  responses: { 200: jsonContent(pageOf(ServiceRecordSchema), 'A page of records'), ...errorResponses('forbidden', 'not_found') },
});

const certificate = createRoute({
  method: 'get',
  path: '/v1/volunteers/{id}/certificate',
  tags,
  summary: 'A signed certificate of service hours (the volunteer, organiser in scope, admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(CertificateSchema, 'The certificate'), ...errorResponses('forbidden', 'not_found') },
});

export function recordRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(bulk, async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await recordBatch(deps, c.get('actor'), id, input, requestIdempotency(c, `records:${id}`, input, true))), 201);
    })
    .openapi(activityRecords, async (c) => c.json(await listActivityRecords(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200))
    .openapi(bulkDecision('approve'), async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await decideMany(deps, c.get('actor'), id, 'approve', input, requestIdempotency(c, `approve:${id}`, input, false))), 200);
    })
    .openapi(bulkDecision('reject'), async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await decideMany(deps, c.get('actor'), id, 'reject', input, requestIdempotency(c, `reject:${id}`, input, false))), 200);
    })
    .openapi(singleDecision('approve'), async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await decideOne(deps, c.get('actor'), id, 'approve', input, requestIdempotency(c, `approve-record:${id}`, input, false))), 200);
    })
    .openapi(singleDecision('reject'), async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await decideOne(deps, c.get('actor'), id, 'reject', input, requestIdempotency(c, `reject-record:${id}`, input, false))), 200);
    })
    .openapi(correct, async (c) => {
      const { id } = c.req.valid('param');
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await correctRecord(deps, c.get('actor'), id, input, requestIdempotency(c, `correct:${id}`, input, true))), 201);
    })
    .openapi(queue, async (c) => c.json(await listManagedRecords(deps, c.get('actor'), c.req.valid('query')), 200))
    .openapi(queueDecision('approve'), async (c) => {
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await decideQueued(deps, c.get('actor'), 'approve', input, requestIdempotency(c, 'approve-records', input, false))), 200);
    })
    .openapi(queueDecision('reject'), async (c) => {
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await decideQueued(deps, c.get('actor'), 'reject', input, requestIdempotency(c, 'reject-records', input, false))), 200);
    })
    .openapi(read, async (c) => c.json(await getRecord(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(checkInRoute, async (c) => c.json(await checkIn(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('json')), 201))
    .openapi(checkOutRoute, async (c) => c.json(await checkOut(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('json')), 200))
    .openapi(volunteerRecords, async (c) => c.json(await listVolunteerRecords(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200))
    .openapi(certificate, async (c) => {
      c.header('cache-control', 'no-store');
      return c.json(await issueCertificate(deps, c.get('actor'), c.req.valid('param').id), 200);
    });
}
