import { z } from '../http/openapi.js';
import { StatusSchema } from '../orgunits/schemas.js';
import { HeldPostSchema } from '../posts/schemas.js';

export const CreateVolunteerBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: '王秀英' }),
    orgUnitId: z.string().uuid(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9][0-9 -]{2,30}$/, 'digits, spaces and dashes, optionally a leading +')
      .nullish()
      .openapi({ description: 'Personal data: shown only to the volunteer, organisers in scope and admins; never logged', example: '13800138000' }),
    externalSubject: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .nullish()
      .openapi({ description: 'The person\'s subject (`sub`) at the programme\'s identity provider, so they can sign in there (needs OIDC_ISSUER)' }),
  })
  .openapi('CreateVolunteer');

export const VolunteerSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    orgUnitId: z.string().uuid(),
    phone: z.string().nullable().optional(),
    status: StatusSchema,
    createdAt: z.string().datetime(),
    posts: z.array(HeldPostSchema).openapi({ description: 'The posts the volunteer holds now (楼栋长, 单元长, 片长, 网格员): see /v1/volunteer-posts' }),
  })
  .openapi('Volunteer');

export const ListVolunteersQuery = z.object({
  orgUnitId: z.string().uuid().optional().openapi({ param: { name: 'orgUnitId', in: 'query' }, description: 'Only volunteers in this unit or below it' }),
  status: StatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
});

export type CreateVolunteerInput = z.infer<typeof CreateVolunteerBody>;
export type Volunteer = z.infer<typeof VolunteerSchema>;
