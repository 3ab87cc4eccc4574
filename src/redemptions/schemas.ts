import { z } from '../http/openapi.js';
import { redemptionTokenLengthMax, shortCodeLength } from './token.js';

const shortCode = z
  .string()
  .length(shortCodeLength)
  .openapi({ description: 'The code a shop can type instead of scanning the QR code: 8 characters without look-alikes (no 0/O, 1/I/L); print it as ABCD-EFGH', example: 'K7MX4QPA' });

export const RedemptionStatusSchema = z.enum(['issued', 'redeemed', 'cancelled', 'expired']);

export const ClaimBody = z.strictObject({ packId: z.string().uuid() }).openapi('ClaimRequest');

export const ClaimSchema = z
  .object({
    id: z.string().uuid(),
    packId: z.string().uuid(),
    merchantId: z.string().uuid(),
    points: z.number().int(),
    token: z.string().max(redemptionTokenLengthMax).openapi({ description: 'Compact JWS to show at the shop (as text or as the QR code at qr.svg)' }),
    shortCode: shortCode,
    expiresAt: z.string().datetime(),
    status: z.literal('issued'),
  })
  .openapi('Claim');

export const RedeemBody = z
  .strictObject({
    token: z
      .string()
      .min(1)
      .max(4096)
      .openapi({ description: 'The redemption code the volunteer showed: the token read from the QR code, or the 8-character short code printed under it (case, spaces and dashes do not matter)' }),
  })
  .openapi('RedeemRequest');

export const RedeemedSchema = z
  .object({
    id: z.string().uuid(),
    packId: z.string().uuid(),
    packTitle: z.string().openapi({ description: "The pack's title, for the counter to show" }),
    volunteerId: z.string().uuid(),
    volunteerName: z.string().openapi({ description: "The volunteer's name, masked (王*英): enough to ask \"is this you?\"", example: '王*英' }),
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
    packTitle: z.string(),
    merchantName: z.string(),
    volunteerName: z.string().openapi({ description: "The volunteer's name, masked (王*英)" }),
    points: z.number().int(),
    status: RedemptionStatusSchema.openapi({ description: 'An issued claim past its expiry reads as expired even before the sweeper releases it' }),
    issuedAt: z.string().datetime(),
    expiresAt: z.string().datetime(),
    resolvedAt: z.string().datetime().nullable(),
    token: z.string().optional().openapi({ description: 'Only for the volunteer who owns a live claim' }),
    shortCode: shortCode.optional().openapi({ description: 'Only for the volunteer who owns a live claim' }),
  })
  .openapi('Redemption');

export type Claim = z.infer<typeof ClaimSchema>;
export type Redeemed = z.infer<typeof RedeemedSchema>;
export type Redemption = z.infer<typeof RedemptionSchema>;
