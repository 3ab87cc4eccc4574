import { createRoute } from '@hono/zod-openapi';
import QRCode from 'qrcode';
import type { ServiceDeps } from '../deps.js';
import { IdParam, bearerSecurity, createRouter, errorResponses, jsonBody, jsonContent, pageOf, pageQuery, z } from '../http/openapi.js';
import { idempotencyErrors, optionalIdempotencyHeaders, replayHeader, replayedBody, requestIdempotency } from '../writes/replay.js';
import { CancelledSchema, ClaimBody, ClaimSchema, RedeemBody, RedeemedSchema, RedemptionSchema } from './schemas.js';
import { cancelRedemption, claimPack, getRedemption, listVolunteerRedemptions, redeemToken, redemptionTokenFor } from './service.js';

const tags = ['Redemptions'];
const OptionalIdempotency = optionalIdempotencyHeaders('Optional: with it, a retried claim returns the first claim instead of making another');

const claim = createRoute({
  method: 'post',
  path: '/v1/redemptions',
  tags,
  summary: 'Claim a pack: reserve its points and one unit of stock, get a redemption code (the volunteer)',
  security: bearerSecurity,
  request: { ...jsonBody(ClaimBody), headers: OptionalIdempotency },
  responses: {
    201: { ...jsonContent(ClaimSchema, 'The claim with its signed redemption token'), headers: replayHeader },
    ...errorResponses('forbidden', 'not_found', 'insufficient_points', 'out_of_stock', 'limit_reached', 'pack_unavailable', ...idempotencyErrors),
  },
});

const redeem = createRoute({
  method: 'post',
  path: '/v1/redemptions/redeem',
  tags,
  summary: 'Redeem a code at the shop; the same merchant resubmitting gets the same answer (merchant)',
  security: bearerSecurity,
  request: jsonBody(RedeemBody),
  responses: {
    200: jsonContent(RedeemedSchema, 'Settled to the merchant (or the same answer again for a retry)'),
    ...errorResponses('forbidden', 'token_invalid', 'token_expired', 'token_already_used', 'token_wrong_merchant'),
  },
});

const cancel = createRoute({
  method: 'post',
  path: '/v1/redemptions/{id}/cancel',
  tags,
  summary: 'Cancel an unredeemed claim; points and stock come back (the volunteer who owns it, admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(CancelledSchema, 'Cancelled'), ...errorResponses('forbidden', 'not_found', 'token_already_used', 'token_expired') },
});

const read = createRoute({
  method: 'get',
  path: '/v1/redemptions/{id}',
  tags,
  summary: 'Read a claim (the volunteer who owns it, its merchant, admin)',
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: jsonContent(RedemptionSchema, 'The claim'), ...errorResponses('not_found') },
});

const qr = createRoute({
  method: 'get',
  path: '/v1/redemptions/{id}/qr.svg',
  tags,
  summary: "A live claim's redemption code as a QR code (the volunteer who owns it)",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: {
    200: { description: 'SVG image of the QR code', content: { 'image/svg+xml': { schema: z.string() } } },
    ...errorResponses('not_found', 'token_expired', 'token_already_used'),
  },
});

const volunteerList = createRoute({
  method: 'get',
  path: '/v1/volunteers/{id}/redemptions',
  tags,
  summary: "A volunteer's claims, newest first (the volunteer, admin)",
  security: bearerSecurity,
  request: { params: IdParam, query: z.object(pageQuery) },
  responses: { 200: jsonContent(pageOf(RedemptionSchema), 'A page of claims'), ...errorResponses('forbidden', 'not_found') },
});

export function redemptionRoutes(deps: ServiceDeps) {
  return createRouter()
    .openapi(claim, async (c) => {
      const input = c.req.valid('json');
      return c.json(replayedBody(c, await claimPack(deps, c.get('actor'), input, requestIdempotency(c, 'claim', input, false))), 201);
    })
    .openapi(redeem, async (c) => c.json(await redeemToken(deps, c.get('actor'), c.req.valid('json')), 200))
    .openapi(cancel, async (c) => c.json(await cancelRedemption(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(read, async (c) => c.json(await getRedemption(deps, c.get('actor'), c.req.valid('param').id), 200))
    .openapi(qr, async (c) => {
      const token = await redemptionTokenFor(deps, c.get('actor'), c.req.valid('param').id);
      const svg = await QRCode.toString(token, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return c.body(svg, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' });
    })
    .openapi(volunteerList, async (c) => c.json(await listVolunteerRedemptions(deps, c.get('actor'), c.req.valid('param').id, c.req.valid('query')), 200));
}
