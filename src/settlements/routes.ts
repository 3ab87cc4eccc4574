import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf } from '../http/openapi.js';
import { IdempotencyHeaders, idempotencyErrors, replayHeader, replayedBody, requestIdempotency } from '../writes/replay.js';
import { MerchantRedemptionSchema, MerchantRedemptionsQuery, PeriodQuery, RecordSettlementBody, SettlementSchema, SettlementSummarySchema } from './schemas.js';
import { listMerchantRedemptions, recordSettlement, settlementSummary } from './service.js';

const tags = ['Settlements'];

const redemptions = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/redemptions',
  tags,
  summary: "A merchant's redeemed claims, newest first, filtered by redemption time (the merchant itself, admin)",
  security: bearerSecurity,
  request: { params: IdParam, query: MerchantRedemptionsQuery },
  responses: { 200: jsonContent(pageOf(MerchantRedemptionSchema), 'A page of redemptions'), ...errorResponses('forbidden', 'not_found') },
});

const summary = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/settlement',
  tags,
  summary: "A merchant's settlement summary for a period, and what it is owed now (the merchant itself, admin)",
  security: bearerSecurity,
  request: { params: IdParam, query: PeriodQuery },
  responses: { 200: jsonContent(SettlementSummarySchema, 'The summary'), ...errorResponses('forbidden', 'not_found') },
});

const settle = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/settlements',
  tags,
  summary: 'Record a settlement paid to a merchant: owed points move to its settled account (admin)',
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(RecordSettlementBody), headers: IdempotencyHeaders },
  responses: {
    201: { ...jsonContent(SettlementSchema, 'The settlement (or the replay of an identical earlier request)'), headers: replayHeader },
    ...errorResponses('forbidden', 'not_found', 'insufficient_points', 'conflict', ...idempotencyErrors),
  },
});

export function settlementRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(redemptions, async (c) => c.json(await listMerchantRedemptions(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200))
    .openapi(summary, async (c) => c.json(await settlementSummary(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200))
    .openapi(settle, async (c) => {
      const input = c.req.valid('json');
      const { id } = c.req.valid('param');
      return c.json(replayedBody(c, await recordSettlement(deps, c.get('actor'), id, input, requestIdempotency(c, `settlement:${id}`, input, true))), 201);
    });
}
