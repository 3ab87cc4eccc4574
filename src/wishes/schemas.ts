import { z } from '../http/openapi.js';
import { timestampSchema } from '../http/timestamps.js';
import { PeriodSchema, SummaryQuery } from '../reports/schemas.js';

/** Points a category may award: the same bound as an activity's point rule. */
export const categoryPointsMax = 1000;
/** How far ahead a wish may say it is needed by. */
export const neededByDaysMax = 366;

const timestamp = timestampSchema;
const note = z.string().trim().min(1).max(500);

export const WishStatusSchema = z.enum(['open', 'taken', 'done', 'confirmed', 'cancelled', 'expired']).openapi({
  description:
    'open: waiting for a volunteer; taken: a volunteer has it; done: the taker says it is done; confirmed: the poster or an organiser confirmed it and the taker was awarded the points; cancelled: withdrawn; expired: still open after neededBy',
});

export const WishCategoryCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ and -, at most 64')
  .openapi({ example: 'repair' });

export const CategoryCodeParam = z.object({
  code: WishCategoryCode.openapi({ param: { name: 'code', in: 'path' } }),
});

export const CreateWishCategoryBody = z
  .strictObject({
    code: WishCategoryCode,
    name: z.string().trim().min(1).max(200).openapi({ example: '上门维修' }),
    points: z.number().int().min(1).max(categoryPointsMax).openapi({ description: 'Points the taker earns when a wish of this category is confirmed', example: 20 }),
  })
  .openapi('CreateWishCategory');

export const UpdateWishCategoryBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    points: z.number().int().min(1).max(categoryPointsMax).optional().openapi({ description: 'Applies to wishes confirmed from now on; past awards keep their points' }),
    status: z.enum(['active', 'retired']).optional().openapi({ description: 'A retired category takes no new wishes; wishes already posted carry on' }),
  })
  .refine((b) => b.name !== undefined || b.points !== undefined || b.status !== undefined, { message: 'give name, points or status', path: ['points'] })
  .openapi('UpdateWishCategory');

export const WishCategorySchema = z
  .object({
    id: z.string().uuid(),
    code: z.string(),
    name: z.string(),
    points: z.number().int(),
    status: z.enum(['active', 'retired']),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('WishCategory');

export const ListWishCategoriesQuery = z.object({
  status: z.enum(['active', 'retired']).optional().openapi({ param: { name: 'status', in: 'query' } }),
});

const OnBehalfOfInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: '王奶奶' }),
    contact: z.string().trim().min(1).max(200).openapi({ description: 'How to reach the resident (a phone number, a neighbour, a door). Shown only to the taker and organisers in scope', example: '3栋2单元501 / 13800000000' }),
  })
  .openapi('WishResidentInput');

export const CreateWishBody = z
  .strictObject({
    orgUnitId: z.string().uuid(),
    category: WishCategoryCode.openapi({ description: 'The code of an active wish category' }),
    title: z.string().trim().min(1).max(200).openapi({ example: '帮忙修理漏水的水龙头' }),
    details: z.string().trim().min(1).max(2000).nullish(),
    neededBy: timestamp.nullish().openapi({ description: 'Still open at this moment, the wish expires. At most a year ahead' }),
    onBehalfOf: OnBehalfOfInput.nullish().openapi({ description: 'Required when an organiser or admin posts for a resident; a volunteer posts only for itself' }),
  })
  .openapi('CreateWish');

const actorRef = z.object({ role: z.string(), id: z.string() });

export const WishEventSchema = z
  .object({
    version: z.number().int(),
    from: WishStatusSchema.nullable().openapi({ description: 'null for the posting itself' }),
    to: WishStatusSchema,
    actor: actorRef.openapi({ description: 'Who made the change (role system: the expiry)' }),
    takerId: z.string().uuid().nullable().openapi({ description: 'The volunteer who took the wish (taken), or who let it go (released to open)' }),
    note: z.string().nullable(),
    transactionId: z.string().uuid().nullable().openapi({ description: 'The award, on the confirmation' }),
    createdAt: z.string().datetime(),
  })
  .openapi('WishEvent');

export const WishSchema = z
  .object({
    id: z.string().uuid(),
    orgUnitId: z.string().uuid(),
    category: z.string().openapi({ description: 'Category code' }),
    categoryName: z.string(),
    points: z.number().int().openapi({ description: "Points the taker earns on confirmation: the category's points now, or, once confirmed, the points awarded" }),
    title: z.string(),
    details: z.string().nullable(),
    neededBy: z.string().datetime().nullable(),
    status: WishStatusSchema,
    version: z.number().int().openapi({ description: 'The number of the newest history entry' }),
    postedBy: actorRef,
    onBehalfOf: z
      .object({ name: z.string(), contact: z.string().optional() })
      .nullable()
      .openapi({ description: 'The resident an organiser posted for; `contact` only for the taker, organisers in scope and admins' }),
    requester: z
      .object({ name: z.string(), contact: z.string().nullable() })
      .nullable()
      .optional()
      .openapi({
        description:
          'Whom to contact about the wish: the resident posted for, or the volunteer who posted it (its name and phone). Present only for the taker, the poster, organisers in scope and admins',
      }),
    takerId: z.string().uuid().nullable(),
    takenAt: z.string().datetime().nullable(),
    firstTakenAt: z.string().datetime().nullable().openapi({ description: 'When the wish was first answered (taken), whatever releases followed' }),
    doneAt: z.string().datetime().nullable(),
    closedAt: z.string().datetime().nullable().openapi({ description: 'When it was confirmed, cancelled or expired' }),
    priorityUntil: z.string().datetime().nullable().openapi({ description: 'Until then only volunteers holding a post in the unit may take it (null: offered to all at once)' }),
    offeredToPostHolders: z.boolean().openapi({ description: 'True while the post-holder window is running' }),
    awardTransactionId: z.string().uuid().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
    history: z.array(WishEventSchema).optional().openapi({ description: 'Every change, oldest first (on single-wish answers)' }),
  })
  .openapi('Wish');

export const ListWishesQuery = z.object({
  orgUnitId: z.string().uuid().optional().openapi({ param: { name: 'orgUnitId', in: 'query' }, description: 'Only wishes in this unit and below' }),
  status: WishStatusSchema.optional().openapi({ param: { name: 'status', in: 'query' } }),
  category: WishCategoryCode.optional().openapi({ param: { name: 'category', in: 'query' } }),
  mine: z.enum(['posted', 'taken']).optional().openapi({ param: { name: 'mine', in: 'query' }, description: 'Only wishes the caller posted, or has taken' }),
});

export const AssignBody = z.strictObject({ volunteerId: z.string().uuid() }).openapi('AssignWish');
export const ReasonBody = z.strictObject({ reason: note.optional() }).openapi('WishReason');
export const NoteBody = z.strictObject({ note: note.optional().openapi({ example: '已更换水龙头' }) }).openapi('WishNote');
export const EmptyBody = z.strictObject({}).openapi('Empty');

const rate = z.number().min(0).max(1).nullable();
const minutes = z.number().min(0).nullable();

export const WishFiguresSchema = z
  .object({
    posted: z.number().int().openapi({ description: 'Wishes posted in the period' }),
    taken: z.number().int().openapi({ description: 'Of those, answered: taken at least once' }),
    done: z.number().int().openapi({ description: 'Of those, marked done by their taker' }),
    confirmed: z.number().int().openapi({ description: 'Of those, confirmed (and so awarded)' }),
    cancelled: z.number().int(),
    expired: z.number().int().openapi({ description: 'Still open after their neededBy (counted as soon as it passes, before the sweeper runs)' }),
    open: z.number().int().openapi({ description: 'Still waiting for a volunteer now' }),
    completionRate: rate.openapi({ description: 'confirmed / posted, 0 to 1 (null with nothing posted)' }),
    answeredWithin15Minutes: z.number().int().openapi({ description: 'Wishes first taken within 15 minutes of being posted' }),
    shareAnsweredWithin15Minutes: rate.openapi({ description: 'answeredWithin15Minutes / posted, 0 to 1 (null with nothing posted)' }),
    medianMinutesToAnswer: minutes.openapi({ description: 'Median minutes from posting to the first take, over the answered wishes (null with none)' }),
    medianMinutesToComplete: minutes.openapi({ description: 'Median minutes from posting to confirmation, over the confirmed wishes (null with none)' }),
  })
  .openapi('WishFigures');

export const WishReportSchema = WishFiguresSchema.extend({
    orgUnitId: z.string().uuid().nullable(),
    period: PeriodSchema,
    byCategory: z.array(WishFiguresSchema.extend({ category: z.string(), categoryName: z.string() })).openapi({ description: 'By category, by code' }),
    byOrgUnit: z.array(WishFiguresSchema.extend({ orgUnitId: z.string().uuid(), orgUnitName: z.string() })).openapi({ description: "By the wish's own org unit" }),
  })
  .openapi('WishReport');

/** The same query as the programme summary: a subtree and a calendar period. */
export const WishReportQuery = SummaryQuery;

export type WishStatus = z.infer<typeof WishStatusSchema>;
export type Wish = z.infer<typeof WishSchema>;
export type WishEvent = z.infer<typeof WishEventSchema>;
export type WishCategory = z.infer<typeof WishCategorySchema>;
export type CreateWishInput = z.infer<typeof CreateWishBody>;
export type CreateWishCategoryInput = z.infer<typeof CreateWishCategoryBody>;
export type UpdateWishCategoryInput = z.infer<typeof UpdateWishCategoryBody>;
export type WishFigures = z.infer<typeof WishFiguresSchema>;
export type WishReport = z.infer<typeof WishReportSchema>;
