import { z } from '../http/openapi.js';

const actorRef = z.object({ role: z.string(), id: z.string() });

export const PostKindSchema = z.enum(['building_chief', 'unit_chief', 'block_chief', 'grid_worker']).openapi({
  description: 'building_chief 楼栋长, unit_chief 单元长, block_chief 片长, grid_worker 网格员',
});

/** The posts' names as residents know them. */
export const postNames: Record<z.infer<typeof PostKindSchema>, string> = {
  building_chief: '楼栋长',
  unit_chief: '单元长',
  block_chief: '片长',
  grid_worker: '网格员',
};

/** A post as it shows on the volunteer who holds it. */
export const HeldPostSchema = z
  .object({ id: z.string().uuid(), orgUnitId: z.string().uuid(), kind: PostKindSchema, kindName: z.string().openapi({ example: '楼栋长' }) })
  .openapi('HeldPost');

export const CreatePostBody = z
  .strictObject({ volunteerId: z.string().uuid(), orgUnitId: z.string().uuid(), kind: PostKindSchema })
  .openapi('AssignVolunteerPost');

export const VolunteerPostSchema = z
  .object({
    id: z.string().uuid(),
    volunteerId: z.string().uuid(),
    volunteerName: z.string(),
    orgUnitId: z.string().uuid(),
    orgUnitName: z.string(),
    kind: PostKindSchema,
    kindName: z.string().openapi({ example: '楼栋长' }),
    active: z.boolean(),
    assignedAt: z.string().datetime(),
    assignedBy: actorRef,
    endedAt: z.string().datetime().nullable(),
    endedBy: actorRef.nullable(),
  })
  .openapi('VolunteerPost');

export const ListPostsQuery = z.object({
  orgUnitId: z.string().uuid().optional().openapi({ param: { name: 'orgUnitId', in: 'query' }, description: 'Posts in this unit and below' }),
  volunteerId: z.string().uuid().optional().openapi({ param: { name: 'volunteerId', in: 'query' } }),
  kind: PostKindSchema.optional().openapi({ param: { name: 'kind', in: 'query' } }),
  includeEnded: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .openapi({ param: { name: 'includeEnded', in: 'query' }, description: 'Also posts that have ended (default false)' }),
});

export type VolunteerPost = z.infer<typeof VolunteerPostSchema>;
export type PostKind = z.infer<typeof PostKindSchema>;
