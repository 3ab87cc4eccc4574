import { z } from '../http/openapi.js';
import { timestampSchema } from '../http/timestamps.js';
import { ActivityTypeCode, RuleKindSchema } from '../activitytypes/schemas.js';

/** Longest activity: a month. It bounds the minutes of any record and so the points of any award. */
export const activityLengthDaysMax = 31;
export const capacityMax = 100_000;

const timestamp = timestampSchema;

export const ActivityStatusSchema = z.enum(['open', 'closed', 'cancelled']).openapi({
  description: 'open: sign-ups and check-ins accepted; closed: no more sign-ups or check-ins, hours may still be recorded; cancelled: nothing more',
});

export const CreateActivityBody = z
  .strictObject({
    title: z.string().trim().min(1).max(200).openapi({ example: '五里堆社区周末清洁' }),
    typeCode: ActivityTypeCode,
    orgUnitId: z.string().uuid(),
    startsAt: timestamp,
    endsAt: timestamp,
    capacity: z.number().int().min(1).max(capacityMax).nullish().openapi({ description: 'Most sign-ups accepted; omit for no limit' }),
    place: z.string().trim().min(1).max(200).nullish().openapi({ example: '社区活动中心' }),
  })
  .superRefine((body, ctx) => {
    const length = Date.parse(body.endsAt) - Date.parse(body.startsAt);
    if (!(length > 0)) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    else if (length > activityLengthDaysMax * 86_400_000) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: `an activity lasts at most ${activityLengthDaysMax} days` });
  })
  .openapi('CreateActivity');

export const ActivitySchema = z
  .object({
    id: z.string().uuid(),
    title: z.string(),
    typeCode: z.string(),
    typeName: z.string(),
    rule: z.object({ id: z.string().uuid(), version: z.number().int(), kind: RuleKindSchema, points: z.number().int() }).openapi({ description: 'The rule version this activity awards by, fixed when it was created' }),
    orgUnitId: z.string().uuid(),
    startsAt: z.string().datetime(),
    endsAt: z.string().datetime(),
    minutesMax: z.number().int().openapi({ description: "The activity's length in minutes (rounded up): no record may exceed it" }),
    place: z.string().nullable(),
    capacity: z.number().int().nullable(),
    signedUp: z.number().int(),
    status: ActivityStatusSchema,
    createdAt: z.string().datetime(),
  })
  .openapi('Activity');

export const ListActivitiesQuery = z.object({
  orgUnitId: z.string().uuid().optional().openapi({ param: { name: 'orgUnitId', in: 'query' }, description: 'Only activities of this unit or below it' }),
  typeCode: ActivityTypeCode.optional().openapi({ param: { name: 'typeCode', in: 'query' } }),
  status: ActivityStatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
  from: timestamp.optional().openapi({ param: { name: 'from', in: 'query' }, description: 'Only activities starting at or after this time' }),
  to: timestamp.optional().openapi({ param: { name: 'to', in: 'query' }, description: 'Only activities starting before this time' }),
});

export const CheckInCodeSchema = z
  .object({
    activityId: z.string().uuid(),
    code: z.string().regex(/^[0-9]{6}$/).openapi({ description: 'The code of the moment; it rotates every rotationSeconds' }),
    url: z.string().url().openapi({ description: "The wallet's check-in page with this code: what the QR code holds, so a phone's camera app opens it", example: 'https://jifen.example.org/app/wallet/check-in?activity=0190f2b4-6c1e-7d3a-9f10-2b7c5d8e9a01&code=042917' }),
    validFrom: z.string().datetime().openapi({ description: 'When check-in opens: the activity starts' }),
    validUntil: z.string().datetime().openapi({ description: 'When check-in closes: the activity ends' }),
    rotatesAt: z.string().datetime().openapi({ description: 'When the next code replaces this one on the screen: ask again then' }),
    acceptedUntil: z.string().datetime().openapi({ description: 'The last moment this code is accepted (a grace after it rotates, for slow phones)' }),
    rotationSeconds: z.number().int().openapi({ example: 30 }),
  })
  .openapi('CheckInCode');

export const SignupSchema = z
  .object({
    activityId: z.string().uuid(),
    volunteerId: z.string().uuid(),
    status: z.enum(['signed_up', 'withdrawn']),
    signedUpAt: z.string().datetime(),
    withdrawnAt: z.string().datetime().nullable(),
  })
  .openapi('Signup');

export type CreateActivityInput = z.infer<typeof CreateActivityBody>;
export type Activity = z.infer<typeof ActivitySchema>;
export type ListActivitiesInput = z.infer<typeof ListActivitiesQuery> & { limit: number; cursor?: string | undefined };
