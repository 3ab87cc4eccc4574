import { z } from '../http/openapi.js';
import { timestampSchema } from '../http/timestamps.js';

/** Highest price of a pack: a redemption token carries the points and must stay within 300 characters. */
export const packPointsMax = 99_999;

export const PackStatusSchema = z.enum(['active', 'paused', 'retired']);

const timestamp = timestampSchema;

export const CreatePackBody = z
  .strictObject({
    merchantId: z.string().uuid(),
    title: z.string().trim().min(1).max(200).openapi({ example: '免费理发一次' }),
    description: z.string().trim().max(2000).nullish(),
    points: z.number().int().min(1).max(packPointsMax).openapi({ description: `Cost in whole points, 1 to ${packPointsMax}`, example: 30 }),
    stock: z.number().int().min(0).max(1_000_000).nullish().openapi({ description: 'Units available; omit for unlimited' }),
    perVolunteerLimit: z.number().int().min(1).max(1000).nullish().openapi({ description: 'Most claims one volunteer may hold or have redeemed' }),
    validFrom: timestamp.nullish(),
    validUntil: timestamp.nullish(),
    minStarLevel: z.number().int().min(0).max(5).nullish(),
  })
  .refine((b) => !b.validFrom || !b.validUntil || new Date(b.validUntil) > new Date(b.validFrom), { message: 'must be after validFrom', path: ['validUntil'] })
  .openapi('CreatePack');

export const UpdatePackBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().trim().max(2000).nullable().optional(),
    status: PackStatusSchema.optional().openapi({ description: 'Pause to stop claims for a while; retire for good' }),
    validFrom: timestamp.nullable().optional(),
    validUntil: timestamp.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' })
  .openapi('UpdatePack');

export const PackSchema = z
  .object({
    id: z.string().uuid(),
    merchantId: z.string().uuid(),
    title: z.string(),
    description: z.string().nullable(),
    points: z.number().int(),
    stock: z.number().int().nullable().openapi({ description: 'Initial stock; null when unlimited' }),
    stockLeft: z.number().int().nullable().openapi({ description: 'Units not yet claimed; null when unlimited' }),
    issued: z.number().int().openapi({ description: 'Claims outstanding (issued, not yet redeemed, cancelled or released); stockLeft + issued + redeemed = stock' }),
    redeemed: z.number().int(),
    perVolunteerLimit: z.number().int().nullable(),
    validFrom: z.string().datetime().nullable(),
    validUntil: z.string().datetime().nullable(),
    minStarLevel: z.number().int().nullable(),
    status: PackStatusSchema,
    createdAt: z.string().datetime(),
  })
  .openapi('Pack');

export const CatalogueQuery = z.object({
  merchantId: z.string().uuid().optional().openapi({ param: { name: 'merchantId', in: 'query' }, description: "Only this merchant's packs" }),
});

export type CreatePackInput = z.infer<typeof CreatePackBody>;
export type UpdatePackInput = z.infer<typeof UpdatePackBody>;
export type Pack = z.infer<typeof PackSchema>;
