import { z } from '../http/openapi.js';
import { StatusSchema } from '../orgunits/schemas.js';
import { externalSubjectField } from '../people/schemas.js';

export const CreateOrganiserBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: '云峰社区网格员 李娜' }),
    orgUnitId: z.string().uuid().openapi({ description: 'The unit whose subtree this organiser acts in' }),
    externalSubject: externalSubjectField,
  })
  .openapi('CreateOrganiser');

export const OrganiserSchema = z
  .object({ id: z.string().uuid(), name: z.string(), orgUnitId: z.string().uuid(), status: StatusSchema, createdAt: z.string().datetime() })
  .openapi('Organiser');

export const ListOrganisersQuery = z.object({
  orgUnitId: z.string().uuid().optional().openapi({ param: { name: 'orgUnitId', in: 'query' }, description: 'Only organisers of this unit or below it' }),
  status: StatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
});

export type CreateOrganiserInput = z.infer<typeof CreateOrganiserBody>;
export type Organiser = z.infer<typeof OrganiserSchema>;
