import { z } from '../http/openapi.js';

/** Points a rule may name: with activities at most 31 days long and 1,000 units a record, no record can exceed the ledger's per-transaction maximum. */
export const rulePointsMax = 1000;

export const RuleKindSchema = z.enum(['per_hour', 'per_unit', 'fixed']).openapi({
  description: 'per_hour: points per hour, pro-rated by minute and rounded down; per_unit: points per unit of service; fixed: points per participation',
});

export const RuleBody = z
  .strictObject({
    kind: RuleKindSchema,
    points: z.number().int().min(1).max(rulePointsMax).openapi({ example: 10 }),
  })
  .openapi('PointRuleInput');

export const ActivityTypeCode = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ and -, at most 64')
  .openapi({ example: 'cleanup' });

export const CreateActivityTypeBody = z
  .strictObject({
    code: ActivityTypeCode,
    name: z.string().trim().min(1).max(200).openapi({ example: '社区清洁' }),
    rule: RuleBody,
  })
  .openapi('CreateActivityType');

export const PointRuleSchema = z
  .object({
    id: z.string().uuid(),
    version: z.number().int().min(1),
    kind: RuleKindSchema,
    points: z.number().int(),
    createdAt: z.string().datetime(),
  })
  .openapi('PointRule');

export const ActivityTypeSchema = z
  .object({
    id: z.string().uuid(),
    code: z.string(),
    name: z.string(),
    rule: PointRuleSchema.openapi({ description: 'The current (newest) rule version' }),
    createdAt: z.string().datetime(),
  })
  .openapi('ActivityType');

export const CodeParam = z.object({
  code: ActivityTypeCode.openapi({ param: { name: 'code', in: 'path' } }),
});

export type CreateActivityTypeInput = z.infer<typeof CreateActivityTypeBody>;
export type RuleInput = z.infer<typeof RuleBody>;
export type ActivityType = z.infer<typeof ActivityTypeSchema>;
export type PointRule = z.infer<typeof PointRuleSchema>;
