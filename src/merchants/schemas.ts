import { z } from '../http/openapi.js';
import { StatusSchema } from '../orgunits/schemas.js';
import { externalSubjectField } from '../people/schemas.js';

export const CreateMerchantBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: '云峰社区便民理发店' }),
    orgUnitId: z.string().uuid().nullish().openapi({ description: 'Where the shop is, if it belongs to one unit' }),
    externalSubject: externalSubjectField,
  })
  .openapi('CreateMerchant');

export const MerchantSchema = z
  .object({ id: z.string().uuid(), name: z.string(), orgUnitId: z.string().uuid().nullable(), status: StatusSchema, createdAt: z.string().datetime() })
  .openapi('Merchant');

export const ListMerchantsQuery = z.object({
  orgUnitId: z.string().uuid().optional().openapi({ param: { name: 'orgUnitId', in: 'query' }, description: 'Only merchants in this unit or below it' }),
  status: StatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
});

export type CreateMerchantInput = z.infer<typeof CreateMerchantBody>;
export type Merchant = z.infer<typeof MerchantSchema>;
