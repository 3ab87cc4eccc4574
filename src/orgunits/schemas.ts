import { z } from '../http/openapi.js';

export const StatusSchema = z.enum(['active', 'inactive']);

export const CreateOrgUnitBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: '五里堆街道' }),
    parentId: z.string().uuid().nullish().openapi({ description: 'The parent unit; omit for a top-level unit (a district)' }),
  })
  .openapi('CreateOrgUnit');

export const OrgUnitSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    parentId: z.string().uuid().nullable(),
    depth: z.number().int().openapi({ description: '1 for a top-level unit' }),
    status: StatusSchema,
    createdAt: z.string().datetime(),
  })
  .openapi('OrgUnit');

export const ListOrgUnitsQuery = z.object({
  parentId: z.string().uuid().optional().openapi({ param: { name: 'parentId', in: 'query' }, description: 'Only direct children of this unit' }),
  status: StatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
});

export type CreateOrgUnitInput = z.infer<typeof CreateOrgUnitBody>;
export type OrgUnit = z.infer<typeof OrgUnitSchema>;
