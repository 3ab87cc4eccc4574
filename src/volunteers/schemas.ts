import { z } from '../http/openapi.js';
import { StatusSchema } from '../orgunits/schemas.js';
import { HeldPostSchema } from '../posts/schemas.js';
import { externalSubjectField } from '../people/schemas.js';

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
    externalSubject: externalSubjectField,
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
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: 'q', in: 'query' }, description: 'Part of the name, or at least three digits of the phone number (written any way)', example: '王' }),
});

export type CreateVolunteerInput = z.infer<typeof CreateVolunteerBody>;
export type Volunteer = z.infer<typeof VolunteerSchema>;

/** Rows matched at once: a sheet's worth, the bulk entry's own limit. */
export const matchRowsMax = 1000;

const MatchRow = z
  .strictObject({
    id: z.string().trim().min(1).max(100).optional().openapi({ description: "The volunteer's id; anything that is not one is simply not found" }),
    name: z.string().trim().min(1).max(200).optional().openapi({ example: '王秀英' }),
    phone: z.string().trim().min(1).max(40).optional().openapi({ description: 'Written any way: spaces, dashes, +86', example: '138 0013 8000' }),
  })
  .refine((r) => r.id !== undefined || r.name !== undefined || r.phone !== undefined, { message: 'give an id, a name or a phone number', path: ['name'] });

export const MatchVolunteersBody = z
  .strictObject({
    rows: z.array(MatchRow).min(1).max(matchRowsMax),
    activityId: z
      .string()
      .uuid()
      .optional()
      .openapi({ description: "Match for entering hours at this activity (one the caller manages): volunteers signed up for it count as in scope, as the bulk entry allows" }),
  })
  .openapi('MatchVolunteers');

export const MatchReasonSchema = z.enum(['not_found', 'ambiguous', 'out_of_scope', 'inactive', 'mismatch', 'duplicate']).openapi({
  description:
    'Why a row has no volunteer: not_found (no one by that id, phone or name), ambiguous (more than one, and nothing tells them apart), out_of_scope (someone outside your subtree; nothing about them is shown), inactive, mismatch (the name disagrees with the id or phone), duplicate (the same person as an earlier row)',
});

export const MatchedRowSchema = z
  .object({
    index: z.number().int().openapi({ description: "The row's position in the request, from 0" }),
    by: z.enum(['id', 'phone', 'name']).openapi({ description: 'What the row was matched on: its id if given, else its phone, else its name' }),
    volunteer: z.object({ id: z.string().uuid(), name: z.string(), orgUnitId: z.string().uuid() }).nullable(),
    reason: MatchReasonSchema.nullable(),
    duplicateOf: z.number().int().optional().openapi({ description: 'For a duplicate: the index of the earlier row' }),
  })
  .openapi('MatchedVolunteerRow');

export const MatchVolunteersResponse = z.object({ rows: z.array(MatchedRowSchema) }).openapi('MatchedVolunteers');

export type MatchRowInput = z.infer<typeof MatchRow>;
export type MatchedRow = z.infer<typeof MatchedRowSchema>;
export type MatchReason = z.infer<typeof MatchReasonSchema>;
