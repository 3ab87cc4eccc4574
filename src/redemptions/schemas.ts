import { z } from '../http/openapi.js';
import { redemptionTokenLengthMax } from './token.js';

export const RedemptionStatusSchema = z.enum(['issued', 'redeemed', 'cancelled', 'expired']);

export const ClaimBody = z.strictObject({ packId: z.string().uuid() }).openapi('ClaimRequest');

export const ClaimSchema = z
  .object({
    id: z.string().uuid(),
    packId: z.string().uuid(),
    merchantId: z.string().uuid(),
    points: z.number().int(),
    token: z.string().max(redemptionTokenLengthMax).openapi({ description: 'Compact JWS to show at the shop (as text or as the QR code at qr.svg)' }),
    expiresAt: z.string().datetime(),
    status: z.literal('issued'),
  })
  .openapi('Claim');

export const RedeemBody = z
  .strictObject({ token: z.string().min(1).max(4096).openapi({ description: 'The redemption code the volunteer showed' }) })
  .openapi('RedeemRequest');

export const RedeemedSchema = z
  .object({
    id: z.string().uuid(),
    packId: z.string().uuid(),
    volunteerId: z.string().uuid(),
    points: z.number().int(),
    status: z.literal('redeemed'),
    redeemedAt: z.string().datetime(),
  })
  .openapi('Redeemed');

export const CancelledSchema = z.object({ id: z.string().uuid(), status: z.literal('cancelled') }).openapi('Cancelled');

export const RedemptionSchema = z
  .object({
    id: z.string().uuid(),
    packId: z.string().uuid(),
    merchantId: z.string().uuid(),
    volunteerId: z.string().uuid(),
    points: z.number().int(),
    status: RedemptionStatusSchema.openapi({ description: 'An issued claim past its expiry reads as expired even before the sweeper releases it' }),
    issuedAt: z.string().datetime(),
    expiresAt: z.string().datetime(),
    resolvedAt: z.string().datetime().nullable(),
    token: z.string().optional().openapi({ description: 'Only for the volunteer who owns a live claim' }),
  })
  .openapi('Redemption');

export type Claim = z.infer<typeof ClaimSchema>;
export type Redeemed = z.infer<typeof RedeemedSchema>;
export type Redemption = z.infer<typeof RedemptionSchema>;
