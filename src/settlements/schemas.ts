import { pageQuery, z } from '../http/openapi.js';
import { timestampSchema } from '../http/timestamps.js';
import { pointsPerTransactionMax } from '../points/schemas.js';

const timestamp = timestampSchema;

const periodFields = {
  from: timestamp.optional().openapi({ param: { name: 'from', in: 'query' }, description: 'Inclusive start (ISO 8601)' }),
  to: timestamp.optional().openapi({ param: { name: 'to', in: 'query' }, description: 'Exclusive end (ISO 8601)' }),
};
const periodOrdered = (q: { from?: string | undefined; to?: string | undefined }) => !q.from || !q.to || new Date(q.to) > new Date(q.from);

export const PeriodQuery = z.object(periodFields).refine(periodOrdered, { message: 'must be after from', path: ['to'] });
export const MerchantRedemptionsQuery = z.object({ ...periodFields, ...pageQuery }).refine(periodOrdered, { message: 'must be after from', path: ['to'] });

export const RecordSettlementBody = z
  .strictObject({
    points: z.number().int().min(1).max(pointsPerTransactionMax).openapi({ description: 'Points paid out to the merchant', example: 1200 }),
    reference: z.string().trim().min(1).max(200).openapi({ description: 'The payment reference (bank transfer, voucher number); unique per merchant', example: 'TRF-2026-11-0042' }),
  })
  .openapi('RecordSettlement');

export const SettlementSchema = z
  .object({
    id: z.string().uuid(),
    merchantId: z.string().uuid(),
    points: z.number().int(),
    reference: z.string(),
    transactionId: z.string().uuid(),
    owed: z.number().int().openapi({ description: 'What the programme still owes the merchant after this settlement' }),
    createdAt: z.string().datetime(),
  })
  .openapi('Settlement');

export const SettlementSummarySchema = z
  .object({
    merchantId: z.string().uuid(),
    from: z.string().datetime().nullable(),
    to: z.string().datetime().nullable(),
    redeemed: z.object({ count: z.number().int(), points: z.number().int() }).openapi({ description: 'Claims redeemed in the period' }),
    settlements: z.object({
      count: z.number().int(),
      points: z.number().int(),
      items: z.array(SettlementSchema.omit({ owed: true })).openapi({ description: 'Settlements recorded in the period, oldest first (at most 1,000)' }),
    }),
    owed: z.number().int().openapi({ description: "Owed now: the merchant account's balance (redeemed, not yet settled), whatever the period" }),
    settledTotal: z.number().int().openapi({ description: 'Settled since the start, whatever the period' }),
  })
  .openapi('SettlementSummary');

export const MerchantRedemptionSchema = z
  .object({
    id: z.string().uuid(),
    packId: z.string().uuid(),
    packTitle: z.string(),
    volunteerId: z.string().uuid(),
    volunteerName: z.string().openapi({ description: "The volunteer's name, masked (王*英)" }),
    points: z.number().int(),
    status: z.literal('redeemed'),
    redeemedAt: z.string().datetime(),
  })
  .openapi('MerchantRedemption');

export type RecordSettlementInput = z.infer<typeof RecordSettlementBody>;
