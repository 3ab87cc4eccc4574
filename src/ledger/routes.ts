import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ServiceDeps } from '../deps.js';
import type { AppEnv } from '../http/env.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery, z } from '../http/openapi.js';
import { idempotencyScope } from '../writes/idempotency.js';
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
import { adjustPoints, awardPoints, getBalance, getStatement, getTotals, getTransaction, ledgerDigest, reverseTransaction, verifyLedger } from './service.js';

const tags = ['Ledger'];

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({ description: 'Idempotency-Key: required; unique per intended operation (per caller); 1-200 printable ASCII characters. Headers are case-insensitive.', example: 'award-2026-11-23-0001' }),
});

const replayHeader = { 'Idempotent-Replayed': { description: 'Present and "true" when this is the stored response of an earlier identical request', schema: { type: 'string' as const } } };
const idemErrors = ['idempotency_key_reused', 'idempotency_in_progress'] as const;

const award = createRoute({
  method: 'post',
  path: '/v1/awards',
  tags,
  summary: 'Award points to a volunteer (admin, organiser in scope)',
  security: bearerSecurity,
  request: { ...jsonBody(AwardBody), headers: IdempotencyHeaders },
  responses: { 201: { ...jsonContent(PointsMovedSchema, 'Points awarded (or the replay of an identical earlier request)'), headers: replayHeader }, ...errorResponses('forbidden', 'not_found', 'inactive', ...idemErrors) },
});

const adjust = createRoute({
  method: 'post',
  path: '/v1/adjustments',
  tags,
  summary: 'Credit or debit a volunteer by hand, with a reason (admin)',
  security: bearerSecurity,
  request: { ...jsonBody(AdjustmentBody), headers: IdempotencyHeaders },
  responses: { 201: { ...jsonContent(PointsMovedSchema, 'Adjustment posted'), headers: replayHeader }, ...errorResponses('forbidden', 'not_found', 'insufficient_points', ...idemErrors) },
});

const reverse = createRoute({
  method: 'post',
  path: '/v1/transactions/{id}/reverse',
  tags,
  summary: 'Reverse an award, correction or adjustment, at most once (admin)',
  security: bearerSecurity,
  request: { params: IdParam, ...jsonBody(ReverseBody), headers: IdempotencyHeaders },
  responses: { 201: { ...jsonContent(ReversalSchema, 'The reversing transaction'), headers: replayHeader }, ...errorResponses('forbidden', 'not_found', 'already_reversed', 'insufficient_points', 'conflict', ...idemErrors) },
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

function created<T>(c: Context<AppEnv>, outcome: { body: T; replayed: boolean }) {
  if (outcome.replayed) c.header('idempotent-replayed', 'true');
  return c.json(outcome.body, 201);
}

export function ledgerRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(award, async (c) => {
      const input = c.req.valid('json');
      const actor = c.get('actor');
      return created(c, await awardPoints(deps, actor, input, idempotencyScope(actor, c.req.header('idempotency-key'), 'award', input, true)));
    })
    .openapi(adjust, async (c) => {
      const input = c.req.valid('json');
      const actor = c.get('actor');
      return created(c, await adjustPoints(deps, actor, input, idempotencyScope(actor, c.req.header('idempotency-key'), 'adjustment', input, true)));
    })
    .openapi(reverse, async (c) => {
      const input = c.req.valid('json');
      const { id } = c.req.valid('param');
      const actor = c.get('actor');
      return created(c, await reverseTransaction(deps, actor, id, input, idempotencyScope(actor, c.req.header('idempotency-key'), `reverse:${id}`, input, true)));
    })
    .openapi(readTransaction, async (c) => c.json(await getTransaction(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(balance, async (c) => c.json(await getBalance(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(statement, async (c) => c.json(await getStatement(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200))
    .openapi(verify, async (c) => c.json(await verifyLedger(deps, c.get('actor')), 200))
    .openapi(totals, async (c) => c.json(await getTotals(deps, c.get('actor')), 200))
    .openapi(digest, async (c) => c.json(await ledgerDigest(deps, c.get('actor'), c.req.valid('query').asOf), 200));
}
