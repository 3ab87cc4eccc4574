import { createRoute } from '@hono/zod-openapi';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery, z } from '../http/openapi.js';
import { ledgerDigest } from '../ledger/digest.js';
import { verifyLedger } from '../ledger/verify.js';
import { IdempotencyHeaders, idempotencyErrors, replayHeader, replayedBody, requestIdempotency } from '../writes/replay.js';
import {
  AdjustmentBody,
  AwardBody,
  BalanceSchema,
  DigestQuery,
  DigestSchema,
  PointsMovedSchema,
  ReversalSchema,
  ReverseBody,
  StatementItemSchema,
  TotalsSchema,
  TransactionSchema,
  VerifySchema,
} from './schemas.js';
import { adjustPoints, awardPoints, getBalance, getStatement, getTotals, getTransaction, reverseTransaction } from './service.js';

const tags = ['Ledger'];

const award = createRoute({
  method: 'post',
  path: '/v1/awards',
  tags,
  summary: 'Award points to a volunteer (admin, organiser in scope)',
  security: bearerSecurity,
  request: { ...jsonBody(AwardBody), headers: IdempotencyHeaders },
  responses: { 201: { ...jsonContent(PointsMovedSchema, 'Points awarded (or the replay of an identical earlier request)'), headers: replayHeader }, ...errorResponses('forbidden', 'not_found', 'inactive', ...idempotencyErrors) },
});

const adjust = createRoute({
  method: 'post',
  path: '/v1/adjustments',
  tags,
  summary: 'Credit or debit a volunteer by hand, with a reason (admin)',
  security: bearerSecurity,
  request: { ...jsonBody(AdjustmentBody), headers: IdempotencyHeaders },
  responses: { 201: { ...jsonContent(PointsMovedSchema, 'Adjustment posted'), headers: replayHeader }, ...errorResponses('forbidden', 'not_found', 'insufficient_points', ...idempotencyErrors) },
});

const reverse = createRoute({
  method: 'post',
  path: '/v1/transactions/{id}/reverse',
  tags,
  summary: 'Reverse an award, correction or adjustment, at most once (admin)',
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(ReverseBody), headers: IdempotencyHeaders },
  responses: { 201: { ...jsonContent(ReversalSchema, 'The reversing transaction'), headers: replayHeader }, ...errorResponses('forbidden', 'not_found', 'already_reversed', 'insufficient_points', 'conflict', ...idempotencyErrors) },
});

const readTransaction = createRoute({
  method: 'get',
  path: '/v1/transactions/{id}',
  tags,
  summary: 'Read one ledger transaction with its postings (admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(TransactionSchema, 'The transaction'), ...errorResponses('forbidden', 'not_found') },
});

const balance = createRoute({
  method: 'get',
  path: '/v1/volunteers/{id}/balance',
  tags,
  summary: "A volunteer's balance, held points, earnings, service time and star level",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(BalanceSchema, 'The balance'), ...errorResponses('forbidden', 'not_found') },
});

const statement = createRoute({
  method: 'get',
  path: '/v1/volunteers/{id}/ledger',
  tags,
  summary: "A volunteer's statement, newest first",
  security: bearerSecurity,
  request: { params: IdParam, query: z.object(pageQuery) },
  responses: { 200: jsonContent(pageOf(StatementItemSchema), 'A page of statement lines'), ...errorResponses('forbidden', 'not_found') },
});

const verify = createRoute({
  method: 'get',
  path: '/v1/ledger/verify',
  tags,
  summary: 'Recompute every hash chain and cached balance; name the first mismatch (admin)',
  security: bearerSecurity,
  responses: { 200: jsonContent(VerifySchema, 'The verification result'), ...errorResponses('forbidden') },
});

const totals = createRoute({
  method: 'get',
  path: '/v1/ledger/totals',
  tags,
  summary: "The programme's issued points and liability (admin)",
  security: bearerSecurity,
  responses: { 200: jsonContent(TotalsSchema, 'Totals'), ...errorResponses('forbidden') },
});

const digest = createRoute({
  method: 'get',
  path: '/v1/ledger/digest',
  tags,
  summary: 'A digest of all account chains as of a moment, for auditors to record and re-check (admin)',
  security: bearerSecurity,
  request: { query: DigestQuery },
  responses: { 200: jsonContent(DigestSchema, 'The digest'), ...errorResponses('forbidden') },
});

export function pointRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(award, async (c) => {
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await awardPoints(deps, c.get('actor'), input, requestIdempotency(c, 'award', input, true))), 201);
    })
    .openapi(adjust, async (c) => {
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await adjustPoints(deps, c.get('actor'), input, requestIdempotency(c, 'adjustment', input, true))), 201);
    })
    .openapi(reverse, async (c) => {
      const input = c.req.valid('json');
      const { id } = c.req.valid('param');
      return c.json(replayedBody(c, await reverseTransaction(deps, c.get('actor'), id, input, requestIdempotency(c, `reverse:${id}`, input, true))), 201);
    })
    .openapi(readTransaction, async (c) => c.json(await getTransaction(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(balance, async (c) => c.json(await getBalance(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(statement, async (c) => c.json(await getStatement(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200))
    .openapi(verify, async (c) => c.json(await verifyLedger(deps, c.get('actor')), 200))
    .openapi(totals, async (c) => c.json(await getTotals(deps, c.get('actor')), 200))
    .openapi(digest, async (c) => c.json(await ledgerDigest(deps, c.get('actor'), c.req.valid('query').asOf), 200));
}
